/** The `util.inherits` elfy (the ELF reader under src/elf) uses, for the browser bundle. */
export function inherits(ctor: { prototype: object }, superCtor: { prototype: object }): void {
  Object.setPrototypeOf(ctor.prototype, superCtor.prototype);
}

