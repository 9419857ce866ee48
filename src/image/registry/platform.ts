/**
 * Choosing one image from a manifest list (Docker) or image index (OCI): a multi-platform
 * tag names a list of per-platform manifests, and a runtime pulls the one for the machine
 * it runs on (image-spec image-index.md "platform"). Variants matter only when asked for
 * (linux/arm64/v8 vs v7); without one, the first entry for the os/architecture wins, as in
 * containerd's default matcher.
 */
import { RuntimeError } from '../../errors.js';
import type { Descriptor, ImageIndex, Platform } from '../types.js';

/** Node's process.arch → the GOARCH names images use. */
const ARCHITECTURES: Record<string, string> = { x64: 'amd64', arm64: 'arm64', arm: 'arm', ia32: '386', ppc64: 'ppc64le', s390x: 's390x', riscv64: 'riscv64' };

export function hostPlatform(): Platform {
  return { os: 'linux', architecture: ARCHITECTURES[process.arch] ?? process.arch };
}

/** "linux/arm64" or "linux/arm/v7" → a Platform. */
export function parsePlatform(text: string): Platform {
  const [os, architecture, variant, ...rest] = text.split('/');
  if (!os || !architecture || rest.length > 0) throw new RuntimeError(`invalid platform ${JSON.stringify(text)}: expected os/arch[/variant], e.g. linux/arm64`);
  return variant ? { os, architecture, variant } : { os, architecture };
}

export function formatPlatform(p: Platform): string {
  return [p.os, p.architecture, p.variant].filter(Boolean).join('/');
}

/** The entry of the list for `want`; an error lists what the list does have. */
export function selectManifest(index: ImageIndex, want: Platform): Descriptor {
  const found = index.manifests.find((m) =>
    m.platform !== undefined &&
    m.platform.os === want.os &&
    m.platform.architecture === want.architecture &&
    (want.variant === undefined || m.platform.variant === want.variant));
  if (found) return found;
  const offered = index.manifests.map((m) => (m.platform ? formatPlatform(m.platform) : 'unknown')).join(', ');
  throw new RuntimeError(`no image for ${formatPlatform(want)} in the manifest list (it has: ${offered || 'nothing'})`);
}
