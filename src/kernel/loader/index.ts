/** Public surface of src/kernel/loader: xdp-loader and bpftool over the emulated kernel. */
export { parseLoadArgs, parseUnloadArgs, parseIfaceArgs, shortUsage, helpText, type LoadArgs, type UnloadArgs, type IfaceArgs, type Parsed } from './args';
export { XdpLoader, deviceStatusJson, type LoaderEnv } from './xdp-loader';
export { statusText, statusRows, statusJson, STATUS_HEADER, deviceFeatures, featuresText, XDP_FEATURES } from './status';
export { progShow, progPin, progTracelog, progText, progJson, isoTime, selectProgramsBy } from './bpftool-prog';
export { mapShow, mapDump, mapLookup, mapUpdate, mapDelete, mapPin } from './bpftool-map';
export { mapEventPipe } from './bpftool-event-pipe';
export { bpftoolError, parseSelector, parseBytes, hexBytes, jsonBytes, type Selector } from './bpftool-args';
export { formatValue, jsonText, BtfRaw, layoutOf as btfValueLayout, type ValueLayout, type BtfJson } from './btf-value';
export { mapMemlock, progMemlock } from './memlock';
export { success, failure, usageFailure, xdptsExit, errnoExit, CODE_USAGE, type ToolOutcome } from './outcome';
export { ipLinkSetXdp, IP_XDP_KEYWORDS, type IpXdpRequest } from './ip-xdp';
export { LEGACY_MAPS_HINT, BPFTOOL_LEGACY_MAPS, hasLegacyMaps } from './legacy-maps';
export { jsonwPretty } from './json-writer';
export { netShow } from './bpftool-net';
