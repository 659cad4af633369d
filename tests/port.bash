# free_port for the suites (helper.bash) and for scripts that only load
# moto.bash (bench/aws.sh).

# A port nobody listens on on 127.0.0.1: the kernel's pick for port 0.
# Another process may take it before the caller binds it.
free_port() {
	python3 -c 'import socket
s = socket.socket()
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
s.close()'
}
