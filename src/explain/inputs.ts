/**
 * What `ts-runc explain` explains: a bundle, or an image with `run`'s flags, read the way
 * `create` (and `run --image`) read them, and previewed without changing the host: no
 * overlay mounted, no cgroup made, no address leased, no network definition written.
 * The preview functions are the real code's own (previewImageBundle beside
 * makeImageBundle, prepareNetwork's preview mode, firstFree beside allocate).
 */
import { resolve } from 'node:path';
import { cgroupPathsFor } from '../cgroups/cgroup.js';
import { detectMode } from '../cgroups/hierarchy.js';
import { previewImageBundle } from '../image/bundle.js';
import type { ImageRunOptions } from '../image/image-spec.js';
import { prepareNetwork, wantedPorts } from '../network/container-network.js';
import { firstFree, intToIp, ipToInt, liveLeases, parseSubnet } from '../network/ipam.js';
import { networkDir } from '../network/networks.js';
import { freePort, type PortMapping } from '../network/ports.js';
import type { NetworkRequest } from '../network/request.js';
import { checkSpecOnHost } from '../spec/host-rules.js';
import { checkSpec, loadSpec } from '../spec/load.js';
import type { Spec } from '../spec/schema.js';
import { containerDir } from '../storage.js';
import { explainBirth, type BirthInput, type BirthLine } from './birth.js';

export interface ExplainOptions {
  /** the container id the explanation uses (cgroup and veth names derive from it) */
  id: string;
  /** --root: the cgroup leaf and the veth name derive from it too */
  root: string;
  noPivot?: boolean;
  noNewKeyring?: boolean;
  network?: NetworkRequest;
}

/** `explain -b BUNDLE`. */
export async function explainBundle(bundleDir: string, options: ExplainOptions): Promise<BirthLine[]> {
  const bundle = resolve(bundleDir);
  const spec = await loadSpec(bundle);
  return explainSpec(spec, bundle, resolve(bundle, spec.root?.path ?? 'rootfs'), options);
}

/** `explain --image REF [run flags]`: the bundle `run --image` would make in <storage>/containers/<id>. */
export async function explainImage(storage: string, image: string, run: Omit<ImageRunOptions, 'mounts'>, options: ExplainOptions): Promise<BirthLine[]> {
  const dir = containerDir(storage, options.id);
  const preview = previewImageBundle({ storage, image, dir, container: options.id, root: options.root, run });
  // What create's loadSpec would make of the config.json makeImageBundle writes.
  const spec = await checkSpec(JSON.parse(JSON.stringify(preview.spec)));
  return explainSpec(spec, dir, preview.rootfs, options, { ref: image, overlay: preview.overlay, rootfs: preview.rootfs });
}

async function explainSpec(spec: Spec, bundle: string, rootfs: string, options: ExplainOptions, image?: BirthInput['image']): Promise<BirthLine[]> {
  let network: BirthInput['network'];
  let pendingFiles: string[] | undefined;
  if (options.network) {
    // create.ts: --network edits the spec (netns, bind mounts of /etc/hosts…) before anything.
    const prepared = prepareNetwork(spec, options.network, options.id, options.root, true);
    const { def, record } = prepared;
    // writeNetworkFiles writes them before the plan runs
    if (record.ownFiles && record.files) pendingFiles = [record.files.hosts, record.files.hostname, record.files.resolv];
    if (def && record.hostVeth && record.prefix !== undefined) {
      const subnet = parseSubnet(def.subnet);
      const used = new Set(liveLeases(networkDir(options.network.storage, def.name)).map((l) => ipToInt(l.ip)));
      const ip = firstFree(subnet, def.gateway, used);
      network = {
        network: def.name, bridge: def.bridge, subnet: def.subnet, gateway: def.gateway, prefix: record.prefix, hostVeth: record.hostVeth,
        ip: ip === undefined ? '<no free address>' : intToIp(ip),
        ports: await previewPorts(wantedPorts(options.network, prepared.exposed)),
      };
    }
  }
  checkSpecOnHost(spec);
  return explainBirth({
    spec, id: options.id, bundle, rootfs, noPivot: options.noPivot, noNewKeyring: options.noNewKeyring,
    mode: detectMode(),
    cgroupPaths: cgroupPathsFor({ cgroupsPath: spec.linux?.cgroupsPath, id: options.id, root: options.root }),
    image, network, pendingFiles,
  });
}

/** Host port 0 becomes a port free now, as create picks one (ports.ts freePort). */
async function previewPorts(publish: readonly PortMapping[]): Promise<PortMapping[]> {
  const out: PortMapping[] = [];
  for (const m of publish) out.push(m.hostPort === 0 ? { ...m, hostPort: await freePort(m.protocol, m.hostIp) } : m);
  return out;
}
