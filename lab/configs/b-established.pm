# Lab scenario b: a PortMaster filter with `established` on the WAN input.
# Outbound connections work (their replies carry ACK); inbound connection
# attempts (a bare SYN) are not established and fall to rule 30.
add filter wan.in
set filter wan.in 10 permit 0.0.0.0/0 192.168.0.0/24 tcp established
set filter wan.in 20 permit 0.0.0.0/0 192.168.0.0/24 udp src eq 53
set filter wan.in 30 deny 0.0.0.0/0 0.0.0.0/0 tcp
set wan ifilter wan.in
