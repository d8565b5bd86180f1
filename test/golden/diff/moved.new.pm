# the same rules; only their lines moved

# Lab scenario e, before the reload: the LAN may open TCP 5001 and 5002.
add filter lan.in
set filter lan.in 10 permit 192.168.0.0/24 0.0.0.0/0 tcp dst eq 5001
set filter lan.in 20 permit 192.168.0.0/24 0.0.0.0/0 tcp dst eq 5002
set filter lan.in 30 deny 0.0.0.0/0 0.0.0.0/0 tcp
add filter wan.in
set filter wan.in 10 permit 0.0.0.0/0 192.168.0.0/24 tcp established
set lan ifilter lan.in
set wan ifilter wan.in
