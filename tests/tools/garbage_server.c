/* Test peer for bad cameras on loopback:
 *   garbage_server PORT garbage   -> accepts and sends random bytes forever
 *   garbage_server PORT hang      -> accepts and never answers */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

static int g_garbage = 0;

static void* serve(void* arg) {
  int fd = (int)(long)arg;
  char buf[4096];
  if (!g_garbage) {
    while (read(fd, buf, sizeof buf) > 0) {
    }
  } else {
    unsigned s = 12345;
    for (;;) {
      for (size_t i = 0; i < sizeof buf; ++i) buf[i] = (char)((s = s * 1103515245u + 12345u) >> 16);
      if (write(fd, buf, sizeof buf) <= 0) break;
      usleep(10000);
    }
  }
  close(fd);
  return NULL;
}

int main(int argc, char** argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: garbage_server PORT garbage|hang\n");
    return 2;
  }
  signal(SIGPIPE, SIG_IGN);
  g_garbage = strcmp(argv[2], "garbage") == 0;
  int s = socket(AF_INET, SOCK_STREAM, 0);
  int one = 1;
  setsockopt(s, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  struct sockaddr_in a;
  memset(&a, 0, sizeof a);
  a.sin_family = AF_INET;
  a.sin_port = htons((unsigned short)atoi(argv[1]));
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (bind(s, (struct sockaddr*)&a, sizeof a) != 0 || listen(s, 16) != 0) {
    perror("bind/listen");
    return 1;
  }
  for (;;) {
    int c = accept(s, NULL, NULL);
    if (c < 0) continue;
    pthread_t t;
    pthread_create(&t, NULL, serve, (void*)(long)c);
    pthread_detach(t);
  }
}
