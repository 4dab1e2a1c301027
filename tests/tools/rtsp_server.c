/* Test RTSP server (gst-rtsp-server): serves MP4/H.264 files on loopback.
 *   rtsp_server PORT MOUNT=FILE [MOUNT=FILE ...]   ->  rtsp://127.0.0.1:PORT/MOUNT
 * Each client gets its own pipeline from the start of the file; at the end of the file the
 * session ends (clients are expected to reconnect). Packets are re-payloaded, never re-encoded. */
#include <gst/gst.h>
#include <gst/rtsp-server/rtsp-server.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char** argv) {
  gst_init(&argc, &argv);
  if (argc < 3) {
    fprintf(stderr, "usage: rtsp_server PORT MOUNT=FILE [MOUNT=FILE ...]\n");
    return 2;
  }
  GMainLoop* loop = g_main_loop_new(NULL, FALSE);
  GstRTSPServer* server = gst_rtsp_server_new();
  gst_rtsp_server_set_address(server, "127.0.0.1");
  gst_rtsp_server_set_service(server, argv[1]);
  GstRTSPMountPoints* mounts = gst_rtsp_server_get_mount_points(server);
  for (int i = 2; i < argc; ++i) {
    char* eq = strchr(argv[i], '=');
    if (!eq) {
      fprintf(stderr, "bad mount '%s' (expected MOUNT=FILE)\n", argv[i]);
      return 2;
    }
    *eq = 0;
    gchar* launch = g_strdup_printf(
        "( filesrc location=\"%s\" ! qtdemux ! h264parse ! rtph264pay name=pay0 pt=96 config-interval=1 )", eq + 1);
    GstRTSPMediaFactory* f = gst_rtsp_media_factory_new();
    gst_rtsp_media_factory_set_launch(f, launch);
    gst_rtsp_media_factory_set_shared(f, FALSE);
    gchar* path = g_strdup_printf("/%s", argv[i]);
    gst_rtsp_mount_points_add_factory(mounts, path, f);
    printf("rtsp://127.0.0.1:%s%s -> %s\n", argv[1], path, eq + 1);
    g_free(path);
    g_free(launch);
  }
  g_object_unref(mounts);
  if (gst_rtsp_server_attach(server, NULL) == 0) {
    fprintf(stderr, "cannot listen on port %s\n", argv[1]);
    return 1;
  }
  fflush(stdout);
  g_main_loop_run(loop);
  return 0;
}
