/** Public surface of src/verifier: the static analysis of one XDP program against its maps. */
export { verifyProgram, BPF_COMPLEXITY_LIMIT_INSNS } from './verifier';
export type { VerifyOptions, VerifyResult } from './verifier';
export { kernelInsnString } from './disasm';
export { explainProgram, parsePath } from './explain';
export { explanationText } from './explain-text';
export type { Explanation, ExplainCategory, ExplainSource, ExplainStep } from './explain';
export { Envelope, joinRegs } from './envelope';
export type { ConcreteReg, ConcreteState, InsnEnvelope, RegCheck, RegEnvelope } from './envelope';
