// Stable diagnostic codes of the Windows CE dialect (prefix CE).
export const CE = {
  SYNTAX: "CE001", // a line regedit would not understand
  VALUE_OUTSIDE_KEY: "CE002", // a value line before any [key]
  NOT_A_RULE_KEY: "CE003", // a key that is not ...\COMM\Firewall\Rules\NAME (warning: ignored)
  BAD_DATA: "CE004", // malformed dword/hex/string data, or a number out of range
  WRONG_TYPE: "CE005", // e.g. "Flags"="12" (a string where a dword belongs)
  DUPLICATE: "CE006", // a value or key given twice (warning: the later one wins, as regedit does)
  MISSING: "CE007", // Flags, Mask or PrivateHost absent (the API requires them)
  ACTION_FLAGS: "CE010", // not exactly one of BLOCK / ALLOW / LOG
  DIRECTION_FLAGS: "CE011", // not exactly one of INBOUND / OUTBOUND
  UNKNOWN_BITS: "CE012", // Flags or Mask bits the API does not define
  MASK_WITHOUT_VALUE: "CE020", // a mask bit whose value is absent
  VALUE_WITHOUT_MASK: "CE021", // a value whose mask bit is clear (warning: ignored, as on the device)
  BAD_ADDRESS: "CE022", // FW_IP_ADDRESS bytes that are not an address
  PORT_ORDER: "CE023", // PortMin > PortMax
  UNKNOWN_VALUE: "CE024", // a value name a rule does not have (warning: ignored)
  CONFLICT: "CE025", // fields that contradict each other (both mask forms, ports and ICMP type...)
  NEVER_MATCHES: "CE026", // a rule that can never match a packet (warning)
  UNSUPPORTED: "CE027", // something the device has that this appliance cannot do
  TIME_WINDOW: "CE028", // HourStart == HourEnd: the whole day (warning)
  DECISION: "CE029", // the rule relies on a behaviour this project decided (warning, so it shows)
  ALLOW_COVERS_BLOCK: "CE030", // a BLOCK rule every packet of which an ALLOW rule allows (warning)
  NO_INTERFACE: "CE031", // the appliance has no public or no private interface (warning)
  NEVER_ACTS: "CE032", // a rule that matches only the appliance's traffic to itself, which always passes (warning)
  JSON: "CE040", // the JSON form is not valid JSON, or not an array of FW_RULE objects
  JSON_DUPLICATE: "CE041", // a JSON key given twice in one object, or two fields for one registry value
} as const;
