# Lab scenario c: seed 003's first configuration, "Internal Mail Server":
# SMTP from the mail server (192.168.0.25) passes, from any other LAN client
# it is blocked. The Accept rule is above the Deny rule.

1) Accept Rule
Action Accept
Interface LAN
Source Match - Include
Source Address or Network - Network - 192.168.0.25 - Subnet 255.255.255.255
Destination Match - Include
Destination Address or Network - Object - ANY
Services - Selected - SMTP
2) Deny Rule
Action Deny
Interface LAN
Source Match - Include
Source Address or Network - Object - ANY
Destination Match - Include
Destination Address or Network - Object - ANY
Services - Selected - SMTP
