# Lab scenario f: `log` rules report to the loghost (a syslog receiver in the
# WAN namespace, reached over the appliance's management link).
add filter lan.in
set filter lan.in 10 permit 192.168.0.0/24 0.0.0.0/0 tcp dst eq 25 log
set filter lan.in 20 deny 0.0.0.0/0 0.0.0.0/0 tcp dst eq 23 log
set filter lan.in 30 permit
set lan ifilter lan.in
