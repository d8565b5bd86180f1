// The rule subkeys as read, before any meaning is given to them: both the
// regedit reader and the FW_RULE JSON reader produce these, so one validator
// (validate.ts) serves both forms.
export type RawData =
  | { kind: "dword"; value: number }
  | { kind: "hex"; bytes: number[] }
  | { kind: "string"; value: string }
  | { kind: "invalid" }; // unreadable data, already reported: present, but tests nothing

export interface RawValue {
  name: string; // as written
  data: RawData;
  line: number;
  column: number;
}

export interface RawRule {
  name: string; // the registry key name under ...\Firewall\Rules\
  file: string;
  line: number; // of the [key] line (or of the JSON object)
  column: number;
  values: RawValue[];
}
