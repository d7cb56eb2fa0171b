/*
 * mqtt-counter: the benchmark's reference subscriber. It does nothing with a reading but
 * count it, so what it achieves is the broker's (and publisher's) ceiling on this machine.
 *
 * Same shape as the agent: libmosquitto in threaded mode (mosquitto_loop_start), persistent
 * session (fixed client id, clean session off), subscribed with the benchmark's QoS; a QoS 1
 * PUBACK leaves after the (empty) callback returns.
 *
 *   mqtt-counter -p PORT [-h HOST] -t FILTER -q QOS -i CLIENT_ID -n EXPECTED [-w IDLE_SECONDS]
 *
 * Prints "subscribed" once the SUBACK is in, then, when EXPECTED readings arrived (or nothing
 * arrived for IDLE_SECONDS after the first one, or on SIGTERM/SIGINT), one JSON line:
 *   {"count":N,"first_to_last_s":T,"rate":R,"cpu_s":C,"cpu_us_per_reading":U,"max_rss_kib":K}
 * cpu_s is the whole process (user + system, every thread) from getrusage(RUSAGE_SELF).
 *
 * Build: cc -O2 -o mqtt-counter mqtt-counter.c -lmosquitto
 */
#define _GNU_SOURCE
#include <mosquitto.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static atomic_long count;
static _Atomic double first_at, last_at;
static atomic_int subscribed;
static volatile sig_atomic_t stop_requested;
static int qos = 1;
static const char *filter;

static double now(void) {
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void on_connect(struct mosquitto *mosq, void *obj, int rc) {
    (void)obj;
    if (rc != 0) {
        fprintf(stderr, "mqtt-counter: connection refused: %s\n", mosquitto_connack_string(rc));
        return;
    }
    mosquitto_subscribe(mosq, NULL, filter, qos);
}

static void on_subscribe(struct mosquitto *mosq, void *obj, int mid, int n, const int *granted) {
    (void)mosq, (void)obj, (void)mid, (void)n, (void)granted;
    atomic_store(&subscribed, 1);
}

static void on_message(struct mosquitto *mosq, void *obj, const struct mosquitto_message *m) {
    (void)mosq, (void)obj, (void)m;
    double t = now();
    if (atomic_fetch_add(&count, 1) == 0) atomic_store(&first_at, t);
    atomic_store(&last_at, t);
}

static void on_signal(int sig) {
    (void)sig;
    stop_requested = 1;
}

int main(int argc, char **argv) {
    const char *host = "127.0.0.1", *client_id = "mqtt-counter";
    int port = 1883, opt;
    long expected = 0;
    double idle = 10;
    while ((opt = getopt(argc, argv, "h:p:t:q:i:n:w:")) != -1) {
        switch (opt) {
        case 'h': host = optarg; break;
        case 'p': port = atoi(optarg); break;
        case 't': filter = optarg; break;
        case 'q': qos = atoi(optarg); break;
        case 'i': client_id = optarg; break;
        case 'n': expected = atol(optarg); break;
        case 'w': idle = atof(optarg); break;
        default:
            fprintf(stderr, "usage: %s -p PORT [-h HOST] -t FILTER -q QOS -i CLIENT_ID -n EXPECTED [-w IDLE_S]\n",
                    argv[0]);
            return 2;
        }
    }
    if (!filter || expected <= 0) {
        fprintf(stderr, "mqtt-counter: -t FILTER and -n EXPECTED are required\n");
        return 2;
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    mosquitto_lib_init();
    struct mosquitto *mosq = mosquitto_new(client_id, false, NULL); /* persistent session */
    if (!mosq) {
        perror("mqtt-counter: mosquitto_new");
        return 1;
    }
    mosquitto_int_option(mosq, MOSQ_OPT_TCP_NODELAY, 1);
    mosquitto_connect_callback_set(mosq, on_connect);
    mosquitto_subscribe_callback_set(mosq, on_subscribe);
    mosquitto_message_callback_set(mosq, on_message);
    int rc = mosquitto_connect(mosq, host, port, 60);
    if (rc != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "mqtt-counter: connect to %s:%d: %s\n", host, port, mosquitto_strerror(rc));
        return 1;
    }
    if (mosquitto_loop_start(mosq) != MOSQ_ERR_SUCCESS) {
        fprintf(stderr, "mqtt-counter: cannot start the network thread\n");
        return 1;
    }
    /* The main thread only sleeps and looks at the counter every 10 ms. */
    int announced = 0;
    while (!stop_requested) {
        if (!announced && atomic_load(&subscribed)) {
            printf("subscribed\n");
            fflush(stdout);
            announced = 1;
        }
        long n = atomic_load(&count);
        if (n >= expected) break;
        if (n > 0 && now() - atomic_load(&last_at) > idle) break;
        usleep(10000);
    }
    long n = atomic_load(&count);
    double span = n > 1 ? atomic_load(&last_at) - atomic_load(&first_at) : 0;
    /* Give the last PUBACKs a moment to leave before disconnecting. */
    usleep(100000);
    mosquitto_disconnect(mosq);
    mosquitto_loop_stop(mosq, false);
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    double cpu = (double)ru.ru_utime.tv_sec + ru.ru_utime.tv_usec / 1e6 + (double)ru.ru_stime.tv_sec +
                 ru.ru_stime.tv_usec / 1e6;
    printf("{\"count\":%ld,\"first_to_last_s\":%.6f,\"rate\":%.1f,\"cpu_s\":%.3f,\"cpu_us_per_reading\":%.3f,"
           "\"max_rss_kib\":%ld}\n",
           n, span, span > 0 ? (double)(n - 1) / span : 0, cpu, n > 0 ? cpu * 1e6 / (double)n : 0, ru.ru_maxrss);
    mosquitto_destroy(mosq);
    mosquitto_lib_cleanup();
    return n >= expected ? 0 : 1;
}
