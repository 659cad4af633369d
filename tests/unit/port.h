/*
 * port.h - a free TCP port on 127.0.0.1 for unit tests that start a
 * server (moto.h, the scripted HTTP servers, git daemon, lighttpd) or
 * need an address where nothing listens. Header-only, like moto.h.
 */
#ifndef FERRY_TEST_PORT_H
#define FERRY_TEST_PORT_H

#include <arpa/inet.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/*
 * A port nobody listens on now: bind port 0 and ask which one it was;
 * -1 when that fails. Another process may take it before the caller
 * binds it.
 */
static inline int free_port(void)
{
	struct sockaddr_in sa;
	socklen_t len = sizeof(sa);
	int fd = socket(AF_INET, SOCK_STREAM, 0), port = -1;

	if (fd < 0)
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sin_family = AF_INET;
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if (!bind(fd, (struct sockaddr *)&sa, sizeof(sa)) &&
	    !getsockname(fd, (struct sockaddr *)&sa, &len))
		port = ntohs(sa.sin_port);
	close(fd);
	return port;
}

#endif
