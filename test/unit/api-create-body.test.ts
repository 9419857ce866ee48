/**
 * POST /containers/create's body, checked before anything is made (src/api/create-body.ts):
 * what the docker CLI 28 sends for `docker run -d --name x -p 8080:80 -v data:/data -e A=1
 * --restart always --label a=b --health-cmd true IMAGE echo hi` (captured from it) is
 * accepted with every zero field dropped; a wrong type or an unsupported non-zero field
 * is a 400 naming the field.
 */
import { describe, expect, it } from 'vitest';
import { parseCreateBody } from '../../src/api/create-body.js';
import { ApiError } from '../../src/api/http.js';

const DOCKER_CLI_BODY = {
  "Hostname": "",
  "Domainname": "",
  "User": "",
  "AttachStdin": false,
  "AttachStdout": false,
  "AttachStderr": false,
  "ExposedPorts": {
    "80/tcp": {}
  },
  "Tty": false,
  "OpenStdin": false,
  "StdinOnce": false,
  "Env": [
    "A=1"
  ],
  "Cmd": [
    "echo",
    "hi"
  ],
  "Healthcheck": {
    "Test": [
      "CMD-SHELL",
      "true"
    ]
  },
  "Image": "fixture:3layers",
  "Volumes": {},
  "WorkingDir": "",
  "Entrypoint": null,
  "OnBuild": null,
  "Labels": {
    "a": "b"
  },
  "HostConfig": {
    "Binds": [
      "data:/data"
    ],
    "ContainerIDFile": "",
    "LogConfig": {
      "Type": "",
      "Config": {}
    },
    "NetworkMode": "default",
    "PortBindings": {
      "80/tcp": [
        {
          "HostIp": "",
          "HostPort": "8080"
        }
      ]
    },
    "RestartPolicy": {
      "Name": "always",
      "MaximumRetryCount": 0
    },
    "AutoRemove": false,
    "VolumeDriver": "",
    "VolumesFrom": null,
    "ConsoleSize": [
      0,
      0
    ],
    "CapAdd": null,
    "CapDrop": null,
    "CgroupnsMode": "",
    "Dns": [],
    "DnsOptions": [],
    "DnsSearch": [],
    "ExtraHosts": null,
    "GroupAdd": null,
    "IpcMode": "",
    "Cgroup": "",
    "Links": null,
    "OomScoreAdj": 0,
    "PidMode": "",
    "Privileged": false,
    "PublishAllPorts": false,
    "ReadonlyRootfs": false,
    "SecurityOpt": null,
    "UTSMode": "",
    "UsernsMode": "",
    "ShmSize": 0,
    "Isolation": "",
    "CpuShares": 0,
    "Memory": 0,
    "NanoCpus": 0,
    "CgroupParent": "",
    "BlkioWeight": 0,
    "BlkioWeightDevice": [],
    "BlkioDeviceReadBps": [],
    "BlkioDeviceWriteBps": [],
    "BlkioDeviceReadIOps": [],
    "BlkioDeviceWriteIOps": [],
    "CpuPeriod": 0,
    "CpuQuota": 0,
    "CpuRealtimePeriod": 0,
    "CpuRealtimeRuntime": 0,
    "CpusetCpus": "",
    "CpusetMems": "",
    "Devices": [],
    "DeviceCgroupRules": null,
    "DeviceRequests": null,
    "MemoryReservation": 0,
    "MemorySwap": 0,
    "MemorySwappiness": -1,
    "OomKillDisable": false,
    "PidsLimit": 0,
    "Ulimits": [],
    "CpuCount": 0,
    "CpuPercent": 0,
    "IOMaximumIOps": 0,
    "IOMaximumBandwidth": 0,
    "MaskedPaths": null,
    "ReadonlyPaths": null
  },
  "NetworkingConfig": {
    "EndpointsConfig": {
      "default": {
        "IPAMConfig": null,
        "Links": null,
        "Aliases": null,
        "MacAddress": "",
        "DriverOpts": null,
        "GwPriority": 0,
        "NetworkID": "",
        "EndpointID": "",
        "Gateway": "",
        "IPAddress": "",
        "IPPrefixLen": 0,
        "IPv6Gateway": "",
        "GlobalIPv6Address": "",
        "GlobalIPv6PrefixLen": 0,
        "DNSNames": null
      }
    }
  }
};

const local = (image: string) => image.replace(/^docker\.io\/(library\/)?/, '');

function refused(body: Record<string, unknown>): ApiError {
  try {
    parseCreateBody(body, undefined, undefined, local);
  } catch (error) {
    if (error instanceof ApiError) return error;
    throw error;
  }
  throw new Error('accepted');
}

describe('POST /containers/create body', () => {
  it('takes what the docker CLI sends, keeping only what the engine acts on', () => {
    const request = parseCreateBody(structuredClone(DOCKER_CLI_BODY), 'x', undefined, local);
    expect(request.name).toBe('x');
    expect(request.config).toEqual({
      ExposedPorts: { '80/tcp': {} }, Env: ['A=1'], Cmd: ['echo', 'hi'], Healthcheck: { Test: ['CMD-SHELL', 'true'] },
      Image: 'fixture:3layers', Volumes: {}, Labels: { a: 'b' },
    });
    expect(request.hostConfig).toEqual({
      Binds: ['data:/data'], NetworkMode: 'default', PortBindings: { '80/tcp': [{ HostIp: '', HostPort: '8080' }] },
      RestartPolicy: { Name: 'always', MaximumRetryCount: 0 }, Dns: [], DnsOptions: [], DnsSearch: [], Devices: [], Ulimits: [],
    });
    expect(request.networkingConfig).toEqual({ EndpointsConfig: { default: {} } });
  });

  it('names a field of the wrong type', () => {
    const body = structuredClone(DOCKER_CLI_BODY) as Record<string, any>;
    body.HostConfig.Memory = '1g';
    expect(refused(body).message).toBe('HostConfig.Memory: expected an integer, got "1g"');
    expect(refused({ ...structuredClone(DOCKER_CLI_BODY), Env: 'A=1' }).message).toBe('Config.Env: expected a list of strings, got "A=1"');
    expect(refused({ ...structuredClone(DOCKER_CLI_BODY), Image: '' }).status).toBe(400);
  });

  it('refuses a field ts-runc does not act on unless it is at its zero value', () => {
    const body = structuredClone(DOCKER_CLI_BODY) as Record<string, any>;
    body.HostConfig.BlkioWeight = 300;
    expect(refused(body).message).toBe('HostConfig.BlkioWeight: not supported by ts-runc (got 300)');
    const unknown = { ...structuredClone(DOCKER_CLI_BODY), Frobnicate: true };
    expect(refused(unknown).message).toContain('Config.Frobnicate');
  });
});
