// The indexed classifier's interface to the pipeline (index.ts): build when
// a program is loaded, look up per packet. Split as DPDK's lib/acl splits
// them: layout.ts (the records both sides share), store.ts (the index's
// memory), build.ts and build-tree.ts (per program, per group), lookup.ts
// (per packet). Whatever the index, the answer is the linear first match.
export { buildIndexes, setClassifierOptions, indexKind, indexBytes, indexReason, indexGroups, indexLeafSize, MODE_AUTO, MODE_LINEAR, MODE_INDEX } from "./build";
export { classifierMatch, matchRule, matchAction, matchMarks } from "./lookup";
export { classifierMatchLanes, classifierLaneRuns, classifierNarrowMisses, LANES } from "./lanes";
export { treeStat } from "./build-tree";
export { KIND_LINEAR, KIND_TREE, WHY_INDEXED, WHY_SMALL, WHY_FORCED_LINEAR, WHY_TOO_LARGE } from "./layout";
