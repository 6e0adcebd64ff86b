/**
 * Public surface of src/packet: the packet builder (layer syntax and library chain), the
 * decoder into the same layers and fields, and the checksum and address helpers under them.
 */
export { packet, PacketBuilder, fieldFromInput, type FieldInput } from './builder';
export { buildPacket } from './build';
export { decodePacket, decodedFields, layerPaths, summarizePacket, LAYER_NAMES, type DecodedLayer, type DecodedField } from './decode';
export { parsePacketSpec, PacketSpecError, formatPacketSpec, type LayerSpec } from './spec';
export { LAYERS, layerDef, type LayerDef } from './layers';
export { formatField, parseField, inetSum, type FieldDef, type FieldKind } from './fields';
export * from './values';
export * from './protocols';
