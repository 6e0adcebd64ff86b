/** Sample programs are bundled as text (esbuild's `text` loader). */
declare module '*.asm' {
  const text: string;
  export default text;
}
