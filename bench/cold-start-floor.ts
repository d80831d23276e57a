/**
 * The cold-start floor of a function: a bundle of exactly the AWS SDK clients, commands and
 * paginators its own bundle contains, built with the same esbuild options, constructing each
 * client once at module scope as the function does. What a function imports beyond that (our
 * code, Powertools, middy, zod) is its overhead over the floor.
 *
 * "Exactly": the function's source is bundled again with a metafile, and the SDK parts are read
 * from the files that put bytes into its output (`<Name>Client.js`, `commands/<Name>Command.js`,
 * `pagination/<Name>Paginator.js` of each `@aws-sdk/*` package), so the list follows the code.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { build, type BuildOptions } from 'esbuild';
import { RequireBanner } from '../infra/cdk/constructs/bundled-function.ts';

/** What a function's bundle takes from the SDK, by package. */
export type SdkParts = Readonly<Record<string, readonly string[]>>;

/** The esbuild options of the CDK app's `StageBundling`, as `NodejsFunction` passes them. */
export const FunctionBuildOptions: BuildOptions = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  minify: true,
  sourcemap: false,
  target: 'node22',
  mainFields: ['module', 'main'],
  banner: { js: RequireBanner },
  logLevel: 'silent',
};

const SdkFile =
  /node_modules\/(@aws-sdk\/(?:client-[^/]+|lib-dynamodb))\/dist-es\/(?:([A-Z]\w*Client)|commands\/(\w+Command)|pagination\/(\w+)Paginator)\.js$/;

/** The SDK clients, commands and paginators that put bytes into the bundle of `entry`. */
export async function sdkPartsOf(entry: string, projectRoot: string): Promise<SdkParts> {
  const result = await build({
    ...FunctionBuildOptions,
    entryPoints: [entry],
    write: false,
    metafile: true,
    outdir: join(projectRoot, 'bench', 'out', 'unused'),
  });
  const parts = new Map<string, Set<string>>();
  for (const output of Object.values(result.metafile.outputs)) {
    for (const [file, { bytesInOutput }] of Object.entries(output.inputs)) {
      const match = SdkFile.exec(file);
      if (match === null || bytesInOutput === 0) continue;
      const [, pkg, client, command, paginator] = match as unknown as [string, string, string?, string?, string?];
      // `DynamoDBDocument` and other non-`Client` aggregates are not constructed by our code.
      const name = client ?? command ?? (paginator === undefined ? undefined : `paginate${paginator}`);
      if (name === undefined || name === 'PaginatedBatchGet') continue;
      parts.set(pkg, (parts.get(pkg) ?? new Set()).add(name));
    }
  }
  return Object.fromEntries(
    [...parts].sort(([a], [b]) => a.localeCompare(b)).map(([pkg, names]) => [pkg, [...names].sort()]),
  );
}

/**
 * Writes and bundles the floor of a function into `dir/index.mjs`: the parts imported, each
 * client constructed once (the document client over the DynamoDB client), and a `handler`
 * export holding the rest so that nothing is dropped as unused.
 */
export async function buildFloor(parts: SdkParts, dir: string): Promise<string> {
  const lines: string[] = [];
  const constructed: { pkg: string; local: string; name: string }[] = [];
  const kept: string[] = [];
  // Each import gets a local name of its own: client-dynamodb and lib-dynamodb both export QueryCommand.
  Object.entries(parts).forEach(([pkg, names], index) => {
    lines.push(`import { ${names.map((name) => `${name} as p${index}_${name}`).join(', ')} } from '${pkg}';`);
    for (const name of names) {
      const local = `p${index}_${name}`;
      if (name.endsWith('Client')) constructed.push({ pkg, local, name });
      else kept.push(local);
    }
  });
  const instances: string[] = [];
  const plainDynamo = constructed.find((c) => c.name === 'DynamoDBClient');
  for (const client of constructed.filter((c) => c.name !== 'DynamoDBDocumentClient')) {
    lines.push(`const ${client.local}_instance = new ${client.local}({});`);
    instances.push(`${client.local}_instance`);
  }
  const document = constructed.find((c) => c.name === 'DynamoDBDocumentClient');
  if (document !== undefined) {
    let base = plainDynamo === undefined ? undefined : `${plainDynamo.local}_instance`;
    if (base === undefined) {
      lines.unshift("import { DynamoDBClient as floor_DynamoDBClient } from '@aws-sdk/client-dynamodb';");
      lines.push('const floor_dynamodb = new floor_DynamoDBClient({});');
      base = 'floor_dynamodb';
    }
    lines.push(
      `const ${document.local}_instance = ${document.local}.from(${base}, { marshallOptions: { removeUndefinedValues: true } });`,
    );
    instances.push(`${document.local}_instance`);
  }
  lines.push(`export const handler = async () => [${[...instances, ...kept].join(', ')}].length;`);
  const entry = join(dir, 'floor.mjs');
  await writeFile(entry, `${lines.join('\n')}\n`);
  const outfile = join(dir, 'index.mjs');
  await build({ ...FunctionBuildOptions, entryPoints: [entry], outfile });
  return outfile;
}
