/** WebAssembly modules are bundled as their bytes (esbuild's `binary` loader, scripts/buildConfig.js). */
declare module '*.wasm' {
  const bytes: Uint8Array;
  export default bytes;
}
