# ghostguard report, English. Every id here must exist in nl/report.ftl too
# (a test checks it). Variables are filled in by crates/report/src/i18n.rs.

## Header and verdict

report-title = ghostguard report
input-line = Input: { $path } ({ $format }, { $frames } frames, { $bytes } bytes)
input-error = Input: { $path } could not be read completely: { $error }
decode-line = Decoder: { $counters }
capture-span = Capture covers { $first } to { $last }; { $messages } SIP messages from { $sources } sources.
verdict-ghost = Ghost calls found: { $calls } { $calls ->
        [one] call
       *[other] calls
    } to { $phones } { $phones ->
        [one] phone
       *[other] phones
    } from { $sources } { $sources ->
        [one] source
       *[other] sources
    }
verdict-abuse = No ghost calls, but { $sources } abusive { $sources ->
        [one] source
       *[other] sources
    } found
verdict-clean = Nothing found: no ghost calls and no abusive sources
verdict-cause = Most likely cause: { $cause }; confidence { $level } ({ $percent }%).

## Sections

heading-ghost-calls = Ghost calls per phone
heading-sources = Abusive sources
heading-causes = Likely causes
heading-steps = What to do
heading-timeline = Timeline of attacks and ghost calls
heading-other = Other sources
phone-line = Phone { $phone }: { $calls } ghost { $calls ->
        [one] call
       *[other] calls
    }
col-time = Time
col-caller = Caller ID
col-called = Dialled
more-calls = … and { $count } more (the JSON and HTML reports list every call).
col-source = From
col-where = Where from
col-result = Result
where-internal = your own network
where-external = internet
result-answered = rang, answered
result-rang = rang, not answered
result-not-rang = did not ring
result-status = final answer { $status }
label-kinds = What it did
label-tools = Tools
label-confidence = Confidence
label-evidence = Evidence
label-messages = Messages
label-seen = Seen
label-device = Device
label-user-agents = User-Agent
label-steps-for = for
no-ghost-calls = No ghost calls.
no-sources = No abusive sources.
no-causes = No cause could be pinned down.
no-steps = Nothing to do.
messages-line = { $messages } ({ $requests } { $requests ->
        [one] request
       *[other] requests
    }, { $responses } { $responses ->
        [one] response
       *[other] responses
    }{ $methods })
malformed-line = , { $malformed } malformed
seen-line = { $first } to { $last }
device-line = MAC { $mac }, { $vendor }
device-mac = MAC { $mac }
unknown-vendor = unknown maker
cause-line = { $cause }: { $level } ({ $percent }%)
more-evidence = …and { $count } more
evidence-count = (seen { $count } times)
other-line = Other sources: { $total } ({ $trusted } trusted { $trusted ->
        [one] server
       *[other] servers
    }, { $phones } { $phones ->
        [one] phone
       *[other] phones
    }, { $quiet } without findings).
trusted-line = Trusted server { $address }: { $reason }
bounds-line = Limits reached: { $calls } calls not tracked, { $sources } sources evicted; the numbers above are lower bounds.
generated-by = Made by { $by }.

## Levels

level-high = high
level-medium = medium
level-low = low

## Trust reasons

trust-configured = configured
trust-registrar = registrar of a phone
trust-outbound-proxy = outbound proxy of a phone
trust-provider-network = in the provider's network

## Kinds of abuse

kind-scanner = scanner
kind-enumeration = extension scan
kind-bruteforce = password guessing
kind-flood = flood
kind-sweep = address sweep
kind-toll-fraud = toll fraud
kind-ghost-call = ghost calls
kind-malformed = malformed SIP

## Causes

cause-port-forward = SIP from the internet reaches the phone (port forward, DMZ or UPnP)
cause-sip-alg = The router's SIP ALG rewrites SIP messages
cause-infected-host = A device inside your network is infected and scans the phones
cause-loop = Packets keep going round in the network (a loop)
cause-open-phone = The phone accepts calls from anyone, not only from the provider

## Remedies (generic; the -at forms name what was found)

remedy-isolate-infected-host = Find the device that is scanning and take it off the network: unplug its cable or block it on the WiFi.
remedy-isolate-infected-host-at = { $count ->
        [one] Find { $targets } and take it off the network straight away: unplug its cable or block it on the WiFi. It is scanning your phones.
       *[other] Find { $targets } and take them off the network straight away: unplug their cables or block them on the WiFi. They are scanning your phones.
    }
remedy-clean-infected-host-change-wifi = Have the device cleaned with a virus scanner, or reinstall it, before it goes back on the network. Then change the WiFi password: the attacker may know it.
remedy-clean-infected-host-change-wifi-at = Have { $targets } cleaned with a virus scanner, or { $count ->
        [one] reinstall it, before it goes
       *[other] reinstall them, before they go
    } back on the network. Then change the WiFi password: the attacker may know it.
remedy-switch-off-test = Cannot find the device? Switch the WiFi off for a while and see whether the ghost calls stop; if they do, it is a wireless device such as a smartphone. If not, switch the computers off one at a time: when the calls stop, the last one you switched off is the culprit.
remedy-remove-port-forward = In the router or firewall, remove every port forward, DMZ host and UPnP mapping that points to a phone.
remedy-remove-port-forward-at = In the router or firewall, remove every port forward, DMZ host and UPnP mapping that points to { $targets }.
remedy-firewall-provider-only = Set the firewall to let SIP in only from your telephony provider's servers, and to drop SIP from every other address.
remedy-phone-trusted-servers-only = In the phone's settings, accept calls only from the provider's server: switch "Allow direct IP call" off, or "Accept SIP trust server only" on (the name differs per brand).
remedy-phone-trusted-servers-only-at = In the settings of { $count ->
        [one] phone
       *[other] phones
    } { $targets }, accept calls only from the provider's server: switch "Allow direct IP call" off, or "Accept SIP trust server only" on (the name differs per brand).
remedy-change-sip-port = Move the phone's local SIP port away from the usual 5060, for example to 5040: scanners mostly knock on 5060.
remedy-change-sip-port-at = Move the local SIP port of { $count ->
        [one] phone
       *[other] phones
    } { $targets } away from the usual 5060, for example to 5040: scanners mostly knock on 5060.
remedy-disable-sip-alg = Switch SIP ALG off in the router or firewall (it may be called SIP helper or SIP passthrough). It rewrites the phone's SIP messages and can let strangers' calls through.
remedy-disable-hardware-nat = Switch hardware NAT (hardware acceleration) off in the router too; on many routers it bypasses the SIP settings.
remedy-shorten-register-interval = Make the phones re-register more often than the router forgets a NAT binding: set the registration expiry (re-register interval) below the measured time, or switch NAT keep-alives on in the phones (often called "NAT keep-alive" or "UDP keep-alive", every 15 to 30 seconds).
remedy-restart-equipment = Restart the network equipment, then the phones, base stations and computers, so that no stale connections remain.
remedy-replace-router = If SIP ALG or hardware NAT cannot be switched off, or the modem or router is old (common with older modems from the internet provider), replace it with one that handles VoIP properly.
remedy-change-guessed-password = Change the password of the account whose password was guessed, now: the attacker can register as it and make calls at your cost. Give every SIP account a long random password.
remedy-change-guessed-password-at = { $count ->
        [one] Change the password of account { $targets } now: the attacker guessed it and can register as that account
       *[other] Change the passwords of accounts { $targets } now: the attacker guessed them and can register as those accounts
    } and make calls at your cost. Give every SIP account a long random password.
remedy-check-toll-fraud = Someone tried to call international or premium-rate numbers through you: check the call records at your provider or PBX for calls you do not recognise, and ask the provider to block or cap international and premium-rate calls.
remedy-fix-loop = Look for a loop in the network: a cable between two ports of the same switch, two switches connected twice, an old hub, or too many switches in a chain. Remove it, and switch spanning tree (STP) on where the switches support it.
remedy-isolate-phone-test = To test, connect the phone alone, directly to the firewall, with nothing else on the network. If the ghost calls stop, the cause is elsewhere in the network.

## Evidence against a source

ev-signature = Matched rule { $rule } ({ $tool }): { $field } is "{ $value }".
ev-sipvicious-tag-target = The From tag carries the SIPVicious svmap marker, aimed at { $target }.
ev-sipvicious-tag-data = The From tag carries a SIPVicious marker ("{ $data }").
ev-sipvicious-shape = The messages have the shape SIPVicious sends (branch { $branch }).
ev-sippts-shape = The messages have the shape SIPPTS sends (branch { $branch }).
ev-nmap-shape = The message is the probe of Nmap's SIP scripts.
ev-distinct-users = Tried { $users } different extensions within { $window_secs } s (for example { $sample }).
ev-error-burst = Received { $errors } error answers (unknown user, forbidden) in a short time.
ev-auth-failures = { $failures } failed logins within { $window_secs } s (accounts: { $users }).
ev-password-guessed = A guessed password was accepted for account { $user } after { $failures } failed attempts: the account is compromised. Change its password now.
ev-request-rate = { $requests } requests within { $window_secs } s.
ev-invite-rate = { $invites } call attempts (INVITE) within { $window_secs } s.
ev-distinct-destinations = Sent SIP to { $destinations } different addresses or ports ({ $hosts } hosts) within { $window_secs } s.
ev-international-invite = Tried to call the international number { $number } (prefix { $prefix }).
ev-prefix-walk = Tried { $prefixes } different dial prefixes in front of one number ({ $number }), as toll fraud does.
ev-unparseable = Sent something that is not valid SIP: { $reason }.
ev-defects = Sent SIP with errors: { $defects }.
ev-ghost-calls = Made phones ring: { $calls } { $calls ->
        [one] call
       *[other] calls
    }, { $rang } of which rang.
ev-other = { $code }: { $args }

## Evidence for a cause

list-and = { $head } and { $last }
host-mac-vendor = { $address } (MAC { $mac }, { $vendor })
host-mac = { $address } (MAC { $mac })
cev-internal-attacker = { $host } inside your own network is attacking ({ $kinds }; { $messages } messages).
cev-inbound-from-internet = { $source } on the internet reached { $destination } inside your network ({ $requests } { $requests ->
        [one] request
       *[other] requests
    }).
cev-addressed-to = It was sent to your public address { $addressed_to }, so the router forwarded it.
cev-scanner-target = The scanner itself says it aimed at { $scanner_target }.
cev-sip-rewritten = { $messages } SIP messages were changed on their way through the router (fields: { $fields }).
cev-rewrite-sample = At { $time } the router changed { $fields }: "{ $before }" became "{ $after }".
cev-routing-loop = { $messages ->
        [one] { $messages } packet went
       *[other] { $messages } packets went
    } round in a routing loop; { $messages ->
        [one] it
       *[other] one of them
    } was seen { $copies } times (TTL { $first_ttl } to { $last_ttl }) at { $time }.
cev-frame-storm = { $messages } packets were repeated unchanged on the network (a bridge loop or hub); one was seen { $copies } times at { $time }.
cev-between = Between { $source } and { $destination }.
cev-phone-rang-for-stranger = Phone { $phone } rang { $calls } { $calls ->
        [one] time
       *[other] times
    } for a caller that is not your provider.

## Diagnose (live tests; every cause gets a verdict)

diagnose-title = ghostguard diagnosis
diagnose-input = Reflector: { $reflector }. Live capture: { $capture }.
verdict-diagnose-found = { $count ->
        [one] One cause found
       *[other] { $count } causes found
    }: { $causes }
verdict-diagnose-none = No cause found
heading-verdicts = Causes, one by one
cause-line-not-found = { $cause }: not found
cause-line-not-tested = { $cause }: could not test
cause-hardware-nat = The router's hardware NAT changes ports in a way that can break SIP
cause-old-router = The modem or router is old or unknown and may not handle VoIP well
cev-alg-rewritten = Over { $transport } port { $port } the test message arrived changed: { $fields }.
cev-alg-change = { $field } was sent as "{ $sent }" and arrived as "{ $received }".
cev-alg-unchanged = Over { $transport } port { $port } the test message arrived exactly as it was sent.
cev-alg-no-answer = Over { $transport } port { $port } no echo came back: { $error }.
cev-source-port-rewritten = Over { $transport } port { $port } the router changed the source port: sent from { $local }, seen on the internet as { $observed }.
cev-source-port-kept = Over { $transport } port { $port } the router kept the source port ({ $local } was seen as { $observed }).
cev-probe-answered = A SIP test message from the internet to your public address { $target } was answered (status { $status }): something in your network accepts SIP from anyone.
cev-probe-agent = The device that answered calls itself "{ $agent }".
cev-probe-non-sip = Something answered a SIP test message to your public address { $target }, but not in SIP.
cev-probe-silent = Nothing answered a SIP test message from the internet to your public address { $target }.
cev-probe-closed = Your public address { $target } refused a SIP test message from the internet (the port is closed).
cev-capture-clean = Listened { $seconds } seconds on { $interface } ({ $messages } SIP messages) and saw nothing of this kind.
cev-gateway = Your router is { $address } (MAC { $mac }, made by { $vendor }).
cev-gateway-unknown = Your router is { $address } (MAC { $mac }); its maker is unknown, which is common for old or cheap modems.
cev-reflector-unreachable = The reflector { $reflector } could not be reached: { $error }.
cev-probe-not-run = The test from the internet could not run: { $error }.
cev-capture-failed = The live capture could not run: { $error }.
cev-no-stranger-invite = No call from a stranger reached a phone during the { $seconds } seconds of capture, so this cannot be judged now.
cev-binding-not-tested = How long the router keeps a NAT binding open was not measured.
cev-binding-not-run = How long the router keeps a NAT binding open could not be measured: { $error }.
cev-binding-short = The router forgot the NAT binding after between { $lower } and { $upper } seconds (a message back after { $lower } s arrived, after { $upper } s not), sooner than the phones re-register: every { $interval } s ({ $source ->
        [captured] seen in the capture
       *[default] the common default; no REGISTER was seen in the capture
    }). In between, calls to the phones can get lost.
cev-binding-kept = The router kept the NAT binding open at least { $lower } seconds, longer than the phones' re-register interval of { $interval } s ({ $source ->
        [captured] seen in the capture
       *[default] the common default; no REGISTER was seen in the capture
    }).
cev-binding-unclear = The router kept the NAT binding open between { $lower } and { $upper } seconds; the phones re-register every { $interval } s ({ $source ->
        [captured] seen in the capture
       *[default] the common default; no REGISTER was seen in the capture
    }), which lies in between. Run the test again with a wait close to that interval (--nat-wait).
cev-binding-outlived-waits = The router kept the NAT binding open at least { $lower } seconds, the longest wait tested; the phones re-register every { $interval } s ({ $source ->
        [captured] seen in the capture
       *[default] the common default; no REGISTER was seen in the capture
    }). Run the test again with a longer wait (--nat-wait).
cev-gateway-not-found = The router's address or MAC could not be read on this machine.
cev-router-age-unknown = Its model and age cannot be seen from the network: check the { $vendor } router against your provider's list of supported routers.
label-why = Why

## HTML

html-subtitle = SIP scanners and ghost calls
chart-request-count = { $count ->
        [one] { $count } SIP request
       *[other] { $count } SIP requests
    }
chart-ghost-call = ghost call
chart-caption = Bars at the top: SIP requests over time. One line per abusive source, from first to last seen. Red marks: ghost calls.
