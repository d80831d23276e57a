/**
 * A container image whose only content is the esbuild bundle of one entry file, bundled at synth
 * by the local esbuild with the options `NodejsFunction` uses for the stages (ESM, minified,
 * node22, SDK inside, `require` defined by the banner). The bundle and the Dockerfile are
 * written to a folder that CDK stages into the cloud assembly as a Docker image asset; the image
 * is built only by `cdk deploy`, so synth stays offline and needs no Docker.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Platform } from 'aws-cdk-lib/aws-ecr-assets';
import { ContainerImage } from 'aws-cdk-lib/aws-ecs';
import { buildSync } from 'esbuild';
import { RequireBanner } from './bundled-function.ts';

/** The file name of the bundle in the image's working directory. */
export const BundleFileName = 'index.mjs';

/** Properties of `bundledImage`. */
export interface BundledImageProps {
  /** The entry file, e.g. `functions/ingest/container.ts` under the project root. */
  readonly entry: string;
  /** Folder holding package.json and `node_modules` (subpath imports resolve from it). */
  readonly projectRoot: string;
  /** The Dockerfile copied next to the bundle; it must `COPY index.mjs`. */
  readonly dockerfile: string;
  /**
   * The image's platform.
   * @default Platform.LINUX_ARM64
   */
  readonly platform?: Platform;
}

/** An image asset built from a bundle, and a function removing the folder once CDK staged it. */
export interface BundledImage {
  readonly image: ContainerImage;
  /** Removes the temporary folder; call it after the image was bound to a container (CDK has copied it then). */
  readonly cleanup: () => void;
}

/**
 * Bundles `entry` into a fresh folder with `dockerfile` and returns the image of that folder.
 *
 * @example
 * const { image, cleanup } = bundledImage({ entry, projectRoot, dockerfile });
 * taskDefinition.addContainer('Worker', { image });
 * cleanup();
 */
export function bundledImage(props: BundledImageProps): BundledImage {
  const folder = mkdtempSync(join(tmpdir(), 'cometflow-image-'));
  try {
    buildSync({
      entryPoints: [props.entry],
      absWorkingDir: props.projectRoot,
      outfile: join(folder, BundleFileName),
      bundle: true,
      platform: 'node',
      target: 'node22',
      format: 'esm',
      mainFields: ['module', 'main'],
      minify: true,
      sourcemap: false,
      banner: { js: RequireBanner },
      logLevel: 'warning',
    });
    copyFileSync(props.dockerfile, join(folder, 'Dockerfile'));
  } catch (error) {
    rmSync(folder, { recursive: true, force: true });
    throw new Error(`Bundling ${props.entry} for its container image failed: ${(error as Error).message}`, {
      cause: error,
    });
  }
  return {
    image: ContainerImage.fromAsset(folder, { platform: props.platform ?? Platform.LINUX_ARM64 }),
    cleanup: () => rmSync(folder, { recursive: true, force: true }),
  };
}
