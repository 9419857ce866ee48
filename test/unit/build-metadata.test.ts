/** The classic builder's history texts and config values for the metadata instructions. */
import { describe, expect, it } from 'vitest';
import { exposedPorts, goDuration, goQuoteList, healthConfig, healthcheckText, nopCreatedBy, setEnv } from '../../src/build/steps/metadata.js';
import type { BuilderConfig } from '../../src/build/image-state.js';

describe('metadata instructions', () => {
  it('writes history as `docker history` shows it: SHELL, #(nop), Go %q lists', () => {
    expect(nopCreatedBy(['/bin/sh', '-c'], `CMD ${goQuoteList(['nginx', '-g', 'daemon off;'])}`)).toBe('/bin/sh -c #(nop)  CMD ["nginx" "-g" "daemon off;"]');
    expect(nopCreatedBy(['/bin/bash', '-o', 'pipefail', '-c'], 'USER app')).toBe('/bin/bash -o pipefail -c #(nop)  USER app');
  });

  it('prints HEALTHCHECK as Go prints the struct, durations as Go durations', () => {
    const health = healthConfig({ test: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'], interval: '5m', timeout: '3s', retries: 3 });
    expect(health).toEqual({ Test: ['CMD-SHELL', 'curl -f http://localhost/ || exit 1'], Interval: 300e9, Timeout: 3e9, Retries: 3 });
    expect(healthcheckText(health)).toBe(`HEALTHCHECK &{["CMD-SHELL" "curl -f http://localhost/ || exit 1"] "5m0s" "3s" "0s" "0s" '\\x03'}`);
    expect([goDuration(90e9), goDuration(1.5e9), goDuration(0), goDuration(3600e9 + 1e9), goDuration(3600e9), goDuration(5e6)]).toEqual(['1m30s', '1.5s', '0s', '1h0m1s', '1h0m0s', '5ms']);
  });

  it('expands EXPOSE ranges and protocols, sorted and unique', () => {
    expect(exposedPorts(['80', '8000-8002/udp', '80/tcp', '53/UDP'])).toEqual(['53/udp', '80/tcp', '8000/udp', '8001/udp', '8002/udp']);
    expect(() => exposedPorts(['http'])).toThrow(/invalid port/);
    expect(() => exposedPorts(['90-80'])).toThrow(/invalid port range/);
  });

  it('sets ENV in place, later values replacing earlier ones', () => {
    const config: BuilderConfig = { Env: ['PATH=/bin', 'A=1'] };
    setEnv(config, [['A', '2'], ['B', 'x y']]);
    expect(config.Env).toEqual(['PATH=/bin', 'A=2', 'B=x y']);
  });
});
