# The Windows CE office rules rewritten for a PortMaster: the guest host may
# not reach 203.0.113.0/24 at any time (no office hours on a PortMaster).
add filter lan.in
set filter lan.in 10 deny 192.168.0.200/32 203.0.113.0/24
set filter lan.in 20 permit 0.0.0.0/0 0.0.0.0/0
set ether0 ifilter lan.in
add filter wan.in
set filter wan.in 10 permit 0.0.0.0/0 192.168.0.0/24 tcp established
set ether1 ifilter wan.in
