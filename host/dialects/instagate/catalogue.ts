// The built-in service catalogue: the names an InstaGate administrator picks
// under "Services - Selected". Ports are the IANA well-known ones; every
// service matches the DESTINATION port of a new connection, as the seed's
// SMTP rules block connections TO port 25.

export const TCP = 6;
export const UDP = 17;
export const ICMP = 1;
export const GRE = 47;
export const ESP = 50;

/** One protocol of a service: the IP protocol and, for TCP/UDP, the destination ports. */
export interface ServicePart {
  proto: number;
  ports: [number, number][] | null; // null = any port
  icmpType: number | null;
}

const tcp = (...p: (number | [number, number])[]): ServicePart => ({ proto: TCP, ports: p.map((x) => (Array.isArray(x) ? x : [x, x])), icmpType: null });
const udp = (...p: (number | [number, number])[]): ServicePart => ({ proto: UDP, ports: p.map((x) => (Array.isArray(x) ? x : [x, x])), icmpType: null });
const proto = (n: number): ServicePart => ({ proto: n, ports: null, icmpType: null });

export const CATALOGUE: Record<string, ServicePart[]> = {
  SMTP: [tcp(25)],
  SMTPS: [tcp(465)],
  SUBMISSION: [tcp(587)],
  POP3: [tcp(110)],
  POP3S: [tcp(995)],
  IMAP: [tcp(143)],
  IMAPS: [tcp(993)],
  HTTP: [tcp(80)],
  HTTPS: [tcp(443)],
  DNS: [udp(53), tcp(53)],
  FTP: [tcp(21)], // control connection; the data connection is for connection tracking
  SSH: [tcp(22)],
  TELNET: [tcp(23)],
  NTP: [udp(123)],
  SNMP: [udp(161)],
  "SNMP-TRAP": [udp(162)],
  TFTP: [udp(69)],
  DHCP: [udp([67, 68])],
  SYSLOG: [udp(514)],
  LDAP: [tcp(389)],
  LDAPS: [tcp(636)],
  KERBEROS: [udp(88), tcp(88)],
  NNTP: [tcp(119)],
  IRC: [tcp(6667)],
  NETBIOS: [udp([137, 138]), tcp(139)],
  SMB: [tcp(445)],
  RDP: [tcp(3389)],
  VNC: [tcp(5900)],
  MSSQL: [tcp(1433)],
  MYSQL: [tcp(3306)],
  SIP: [udp(5060), tcp(5060)],
  PPTP: [tcp(1723), proto(GRE)],
  IPSEC: [udp(500, 4500), proto(ESP)],
  ICMP: [proto(ICMP)],
  PING: [{ proto: ICMP, ports: null, icmpType: 8 }],
};

/** Catalogue entry for a name, case-insensitively. */
export function catalogueService(name: string): ServicePart[] | undefined {
  const key = name.toUpperCase();
  return Object.hasOwn(CATALOGUE, key) ? CATALOGUE[key] : undefined; // the name is user text
}
