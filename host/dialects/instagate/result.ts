// What loading an InstaGate table gives: the neutral policy with its
// diagnostics, and the vendor's own table beside it (for show and the order checks).
import type { LoadResult } from "../dialect.ts";
import type { Table } from "./ast.ts";
import type { Lowered } from "./lower.ts";

/** The vendor model: the table as written, and (when it resolved) its lowering with each rule's bindings. */
export interface InstagateModel {
  table: Table;
  lowered: Lowered | null;
}

export type InstagateResult = LoadResult<InstagateModel>;
