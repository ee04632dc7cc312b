/*
 * ghostring -- baresip 1.0.x module for the ghostguard lab.
 *
 * Models a desk phone with "direct IP calls" enabled: it rings on ANY
 * incoming INVITE, whatever the user part of the Request-URI is (stock
 * baresip answers 404 to users that are not its own account).
 *
 *  - marks every UA as catch-all (ua_set_catchall), so unknown users ring;
 *  - logs every ring (epoch, Call-ID, peer URI) to $GG_RINGLOG;
 *  - answers each call after $GG_ANSWER_MS ms (default 2500; 0 = never
 *    answer, the phone just rings until the caller cancels);
 *  - hangs up each answered call after $GG_HANGUP_MS ms (default 3000).
 *
 * baresip 1.0.0 ships no public header in Debian, so the few functions
 * used are declared here; they are exported by /usr/bin/baresip.
 * Event names are compared as strings (uag_event_str) so that the enum
 * numbering of the baresip version does not matter.
 */
#include <re.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct ua;
struct call;

typedef void (ua_event_h)(struct ua *ua, int ev, struct call *call,
			  const char *prm, void *arg);

extern struct list *uag_list(void);
extern void ua_set_catchall(struct ua *ua, bool enabled);
extern int  uag_event_register(ua_event_h *eh, void *arg);
extern void uag_event_unregister(ua_event_h *eh);
extern const char *uag_event_str(int ev);
extern int  call_answer(struct call *call, uint16_t scode, int vmode);
extern void ua_hangup(struct ua *ua, struct call *call, uint16_t scode,
		      const char *reason);
extern const char *call_peeruri(const struct call *call);
extern const char *call_id(const struct call *call);

struct pending {
	struct le le;
	struct tmr tmr;
	struct ua *ua;
	struct call *call;
	bool answered;
};

static struct list pendl;
static struct tmr catchall_tmr;
static uint64_t answer_ms = 2500;
static uint64_t hangup_ms = 3000;
static const char *ringlog;

static void pending_destructor(void *arg)
{
	struct pending *p = arg;
	tmr_cancel(&p->tmr);
	list_unlink(&p->le);
}

static struct pending *pending_find(const struct call *call)
{
	struct le *le;
	for (le = pendl.head; le; le = le->next) {
		struct pending *p = le->data;
		if (p->call == call)
			return p;
	}
	return NULL;
}

static void log_line(const char *what, struct call *call)
{
	FILE *f;
	struct timespec ts;

	if (!ringlog)
		return;
	f = fopen(ringlog, "a");
	if (!f)
		return;
	clock_gettime(CLOCK_REALTIME, &ts);
	fprintf(f, "%lld.%03ld\t%s\t%s\t%s\n", (long long)ts.tv_sec,
		ts.tv_nsec / 1000000, what, call_id(call) ? call_id(call) : "-",
		call_peeruri(call) ? call_peeruri(call) : "-");
	fclose(f);
}

static void hangup_tmr(void *arg)
{
	struct pending *p = arg;
	struct ua *ua = p->ua;
	struct call *call = p->call;

	mem_deref(p);
	log_line("HANGUP", call);
	ua_hangup(ua, call, 0, NULL);
}

static void answer_tmr(void *arg)
{
	struct pending *p = arg;

	p->answered = true;
	log_line("ANSWER", p->call);
	(void)call_answer(p->call, 200, 0 /* VIDMODE_OFF */);
	if (hangup_ms)
		tmr_start(&p->tmr, hangup_ms, hangup_tmr, p);
}

static void event_handler(struct ua *ua, int ev, struct call *call,
			  const char *prm, void *arg)
{
	const char *name = uag_event_str(ev);
	struct pending *p;
	(void)prm;
	(void)arg;

	if (!name || !call)
		return;

	if (0 == strcmp(name, "CALL_INCOMING")) {
		log_line("RING", call);
		if (!answer_ms)
			return;
		p = mem_zalloc(sizeof(*p), pending_destructor);
		if (!p)
			return;
		p->ua = ua;
		p->call = call;
		list_append(&pendl, &p->le, p);
		tmr_start(&p->tmr, answer_ms, answer_tmr, p);
	}
	else if (0 == strcmp(name, "CALL_ESTABLISHED")) {
		/* also bound outgoing calls (placed via ctrl_tcp) */
		if (!pending_find(call) && hangup_ms) {
			p = mem_zalloc(sizeof(*p), pending_destructor);
			if (!p)
				return;
			p->ua = ua;
			p->call = call;
			p->answered = true;
			list_append(&pendl, &p->le, p);
			tmr_start(&p->tmr, hangup_ms, hangup_tmr, p);
		}
	}
	else if (0 == strcmp(name, "CALL_CLOSED")) {
		log_line("CLOSED", call);
		p = pending_find(call);
		if (p)
			mem_deref(p);
	}
}

static void set_catchall(void *arg)
{
	struct le *le;
	int n = 0;
	(void)arg;

	for (le = list_head(uag_list()); le; le = le->next) {
		ua_set_catchall(le->data, true);
		++n;
	}
	if (!n)  /* accounts not loaded yet */
		tmr_start(&catchall_tmr, 100, set_catchall, NULL);
	else
		re_printf("ghostring: %d UA(s) ring on any INVITE\n", n);
}

static int module_init(void)
{
	const char *s;

	s = getenv("GG_ANSWER_MS");
	if (s)
		answer_ms = strtoull(s, NULL, 10);
	s = getenv("GG_HANGUP_MS");
	if (s)
		hangup_ms = strtoull(s, NULL, 10);
	ringlog = getenv("GG_RINGLOG");

	list_init(&pendl);
	tmr_init(&catchall_tmr);
	tmr_start(&catchall_tmr, 0, set_catchall, NULL);
	return uag_event_register(event_handler, NULL);
}

static int module_close(void)
{
	tmr_cancel(&catchall_tmr);
	uag_event_unregister(event_handler);
	list_flush(&pendl);
	return 0;
}

EXPORT_SYM const struct mod_export exports = {
	"ghostring",
	"application",
	module_init,
	module_close
};
