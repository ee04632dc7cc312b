# ghostguard-rapport, Nederlands. Elke id hier staat ook in en/report.ftl
# (een test controleert dat).

## Kop en oordeel

report-title = ghostguard-rapport
input-line = Invoer: { $path } ({ $format }, { $frames } frames, { $bytes } bytes)
input-error = Invoer: { $path } kon niet helemaal gelezen worden: { $error }
decode-line = Decoder: { $counters }
capture-span = De opname loopt van { $first } tot { $last }; { $messages } SIP-berichten van { $sources } bronnen.
verdict-ghost = Spookgesprekken gevonden: { $calls } { $calls ->
        [one] gesprek
       *[other] gesprekken
    } naar { $phones } { $phones ->
        [one] toestel
       *[other] toestellen
    } vanaf { $sources } { $sources ->
        [one] bron
       *[other] bronnen
    }
verdict-abuse = Geen spookgesprekken, maar wel { $sources } { $sources ->
        [one] kwaadwillende bron
       *[other] kwaadwillende bronnen
    } gevonden
verdict-clean = Niets gevonden: geen spookgesprekken en geen kwaadwillende bronnen
verdict-cause = Meest waarschijnlijke oorzaak: { $cause }; zekerheid { $level } ({ $percent }%).

## Onderdelen

heading-ghost-calls = Spookgesprekken per toestel
heading-sources = Kwaadwillende bronnen
heading-causes = Waarschijnlijke oorzaken
heading-steps = Wat te doen
heading-timeline = Tijdlijn van aanvallen en spookgesprekken
heading-other = Overige bronnen
phone-line = Toestel { $phone }: { $calls } { $calls ->
        [one] spookgesprek
       *[other] spookgesprekken
    }
col-time = Tijd
col-caller = Nummerweergave
col-called = Gekozen nummer
more-calls = … en nog { $count } (het JSON- en HTML-rapport tonen elk gesprek).
col-source = Vanaf
col-where = Herkomst
col-result = Resultaat
where-internal = eigen netwerk
where-external = internet
result-answered = ging over, opgenomen
result-rang = ging over, niet opgenomen
result-not-rang = ging niet over
result-status = eindantwoord { $status }
label-kinds = Wat het deed
label-tools = Hulpmiddelen
label-confidence = Zekerheid
label-evidence = Bewijs
label-messages = Berichten
label-seen = Gezien
label-device = Apparaat
label-user-agents = User-Agent
label-steps-for = bij
no-ghost-calls = Geen spookgesprekken.
no-sources = Geen kwaadwillende bronnen.
no-causes = Er is geen duidelijke oorzaak gevonden.
no-steps = Er hoeft niets te gebeuren.
messages-line = { $messages } ({ $requests } { $requests ->
        [one] verzoek
       *[other] verzoeken
    }, { $responses } { $responses ->
        [one] antwoord
       *[other] antwoorden
    }{ $methods })
malformed-line = , { $malformed } ongeldig
seen-line = { $first } tot { $last }
device-line = MAC { $mac }, { $vendor }
device-mac = MAC { $mac }
unknown-vendor = onbekende fabrikant
cause-line = { $cause }: { $level } ({ $percent }%)
more-evidence = …en nog { $count }
evidence-count = ({ $count } keer gezien)
other-line = Overige bronnen: { $total } ({ $trusted } { $trusted ->
        [one] vertrouwde server
       *[other] vertrouwde servers
    }, { $phones } { $phones ->
        [one] toestel
       *[other] toestellen
    }, { $quiet } zonder bevindingen).
trusted-line = Vertrouwde server { $address }: { $reason }
bounds-line = Grenzen bereikt: { $calls } gesprekken niet gevolgd, { $sources } bronnen verwijderd; de aantallen hierboven zijn ondergrenzen.
generated-by = Gemaakt door { $by }.

## Niveaus

level-high = hoog
level-medium = gemiddeld
level-low = laag

## Redenen van vertrouwen

trust-configured = ingesteld
trust-registrar = registrar van een toestel
trust-outbound-proxy = uitgaande proxy van een toestel
trust-provider-network = in het netwerk van de provider

## Soorten misbruik

kind-scanner = scanner
kind-enumeration = toestelnummers aftasten
kind-bruteforce = wachtwoorden raden
kind-flood = berichtenvloed
kind-sweep = adressen afzoeken
kind-toll-fraud = belfraude
kind-ghost-call = spookgesprekken
kind-malformed = ongeldige SIP

## Oorzaken

cause-port-forward = SIP vanaf internet bereikt het toestel (port forwarding, DMZ of UPnP)
cause-sip-alg = SIP ALG in de router herschrijft SIP-berichten
cause-infected-host = Een apparaat in uw eigen netwerk is besmet en scant de toestellen
cause-loop = Pakketten blijven rondgaan in het netwerk (een lus)
cause-open-phone = Het toestel neemt gesprekken van iedereen aan, niet alleen van de provider

## Oplossingen (algemeen; de -at-vormen noemen wat gevonden is)

remedy-isolate-infected-host = Zoek het apparaat dat aan het scannen is en haal het van het netwerk: trek de kabel eruit of blokkeer het op de wifi.
remedy-isolate-infected-host-at = { $count ->
        [one] Zoek { $targets } op en haal het meteen van het netwerk: trek de kabel eruit of blokkeer het op de wifi. Dit apparaat scant uw toestellen.
       *[other] Zoek { $targets } op en haal ze meteen van het netwerk: trek de kabels eruit of blokkeer ze op de wifi. Deze apparaten scannen uw toestellen.
    }
remedy-clean-infected-host-change-wifi = Laat het apparaat opschonen met een virusscanner of installeer het opnieuw voordat het weer op het netwerk mag. Wijzig daarna het wifi-wachtwoord: de aanvaller kan het kennen.
remedy-clean-infected-host-change-wifi-at = Laat { $targets } opschonen met een virusscanner of { $count ->
        [one] installeer het opnieuw voordat het weer op het netwerk mag.
       *[other] installeer ze opnieuw voordat ze weer op het netwerk mogen.
    } Wijzig daarna het wifi-wachtwoord: de aanvaller kan het kennen.
remedy-switch-off-test = Kunt u het apparaat niet vinden? Zet de wifi een tijdje uit en kijk of de spookbelletjes ophouden; zo ja, dan zit het in een draadloos apparaat, bijvoorbeeld een smartphone. Zo nee, zet dan de computers één voor één uit: stoppen de gesprekken, dan is de computer die u het laatst uitzette de boosdoener.
remedy-remove-port-forward = Verwijder in de router of firewall elke port forwarding, DMZ-instelling en UPnP-koppeling naar een toestel.
remedy-remove-port-forward-at = Verwijder in de router of firewall elke port forwarding, DMZ-instelling en UPnP-koppeling naar { $targets }.
remedy-firewall-provider-only = Stel de firewall zo in dat SIP alleen binnenkomt vanaf de servers van uw telefonieprovider, en weiger SIP van alle andere adressen.
remedy-phone-trusted-servers-only = Stel het toestel zo in dat het alleen gesprekken van de server van de provider aanneemt: zet "Allow direct IP call" uit, of "Accept SIP trust server only" aan (de naam verschilt per merk).
remedy-phone-trusted-servers-only-at = { $count ->
        [one] Stel toestel { $targets } zo in dat het alleen gesprekken van de server van de provider aanneemt
       *[other] Stel de toestellen { $targets } zo in dat ze alleen gesprekken van de server van de provider aannemen
    }: zet "Allow direct IP call" uit, of "Accept SIP trust server only" aan (de naam verschilt per merk).
remedy-change-sip-port = Zet de lokale SIP-poort van het toestel op iets anders dan de gebruikelijke 5060, bijvoorbeeld 5040: scanners proberen vooral 5060.
remedy-change-sip-port-at = Zet de lokale SIP-poort van { $count ->
        [one] toestel
       *[other] de toestellen
    } { $targets } op iets anders dan de gebruikelijke 5060, bijvoorbeeld 5040: scanners proberen vooral 5060.
remedy-disable-sip-alg = Zet SIP ALG uit in de router of firewall (soms heet het SIP helper of SIP passthrough). Die functie herschrijft de SIP-berichten van het toestel en kan gesprekken van vreemden doorlaten.
remedy-disable-hardware-nat = Zet ook hardware NAT (hardwareversnelling) uit in de router; op veel routers omzeilt die de SIP-instellingen.
remedy-shorten-register-interval = Laat de toestellen zich vaker opnieuw aanmelden dan de router een NAT-verbinding vergeet: zet de registratietijd (re-register interval) onder de gemeten tijd, of zet NAT keep-alives aan in de toestellen (vaak "NAT keep-alive" of "UDP keep-alive" genoemd, elke 15 tot 30 seconden).
remedy-restart-equipment = Herstart de netwerkapparatuur en daarna de toestellen, basisstations en computers, zodat er geen oude verbindingen blijven hangen.
remedy-replace-router = Kan SIP ALG of hardware-NAT niet uit, of is het modem of de router oud (vaak bij oudere modems van de internetprovider), vervang het apparaat dan door een exemplaar dat VoIP goed ondersteunt.
remedy-change-guessed-password = Verander nu het wachtwoord van het account waarvan het wachtwoord geraden is: de aanvaller kan zich ermee aanmelden en op uw kosten bellen. Geef elk SIP-account een lang, willekeurig wachtwoord.
remedy-change-guessed-password-at = { $count ->
        [one] Verander nu het wachtwoord van account { $targets }: de aanvaller heeft het geraden
       *[other] Verander nu de wachtwoorden van de accounts { $targets }: de aanvaller heeft ze geraden
    } en kan zich ermee aanmelden en op uw kosten bellen. Geef elk SIP-account een lang, willekeurig wachtwoord.
remedy-check-toll-fraud = Iemand probeerde via u naar buitenlandse of betaalnummers te bellen: controleer de gespreksoverzichten bij uw provider of in uw telefooncentrale op gesprekken die u niet kent, en vraag de provider om bellen naar het buitenland en naar betaalnummers te blokkeren of te begrenzen.
remedy-fix-loop = Zoek naar een lus in het netwerk: een kabel tussen twee poorten van dezelfde switch, twee switches die dubbel verbonden zijn, een oude hub, of te veel switches achter elkaar. Haal de lus weg en zet spanning tree (STP) aan op switches die dat kunnen.
remedy-isolate-phone-test = Test het zo: sluit het toestel als enige apparaat rechtstreeks aan op de firewall. Stoppen de spookbelletjes dan, dan zit de oorzaak ergens anders in het netwerk.

## Bewijs tegen een bron

ev-signature = Regel { $rule } ({ $tool }) herkend: { $field } is "{ $value }".
ev-sipvicious-tag-target = De From-tag bevat het kenmerk van SIPVicious svmap, gericht op { $target }.
ev-sipvicious-tag-data = De From-tag bevat een SIPVicious-kenmerk ("{ $data }").
ev-sipvicious-shape = De berichten hebben de vorm die SIPVicious verstuurt (branch { $branch }).
ev-sippts-shape = De berichten hebben de vorm die SIPPTS verstuurt (branch { $branch }).
ev-nmap-shape = Het bericht is de test van de SIP-scripts van Nmap.
ev-distinct-users = Probeerde { $users } verschillende toestelnummers binnen { $window_secs } s (bijvoorbeeld { $sample }).
ev-error-burst = Kreeg in korte tijd { $errors } foutantwoorden (onbekende gebruiker, geweigerd).
ev-auth-failures = { $failures } mislukte aanmeldingen binnen { $window_secs } s (accounts: { $users }).
ev-password-guessed = Een geraden wachtwoord voor account { $user } is geaccepteerd na { $failures } mislukte pogingen: het account is gekraakt. Wijzig het wachtwoord direct.
ev-request-rate = { $requests } verzoeken binnen { $window_secs } s.
ev-invite-rate = { $invites } belpogingen (INVITE) binnen { $window_secs } s.
ev-distinct-destinations = Stuurde SIP naar { $destinations } verschillende adressen of poorten ({ $hosts } hosts) binnen { $window_secs } s.
ev-international-invite = Probeerde het buitenlandse nummer { $number } te bellen (prefix { $prefix }).
ev-prefix-walk = Probeerde { $prefixes } verschillende kiesprefixen voor één nummer ({ $number }), zoals bij belfraude.
ev-unparseable = Stuurde iets dat geen geldige SIP is: { $reason }.
ev-defects = Stuurde SIP met fouten: { $defects }.
ev-ghost-calls = Liet toestellen overgaan: { $calls } { $calls ->
        [one] gesprek
       *[other] gesprekken
    }, waarvan { $rang } { $rang ->
        [one] overging
       *[other] overgingen
    }.
ev-other = { $code }: { $args }

## Bewijs voor een oorzaak

list-and = { $head } en { $last }
host-mac-vendor = { $address } (MAC { $mac }, { $vendor })
host-mac = { $address } (MAC { $mac })
cev-internal-attacker = { $host } in uw eigen netwerk valt aan ({ $kinds }; { $messages } berichten).
cev-inbound-from-internet = { $source } op internet bereikte { $destination } in uw netwerk ({ $requests } { $requests ->
        [one] verzoek
       *[other] verzoeken
    }).
cev-addressed-to = Het was gericht aan uw publieke adres { $addressed_to }, dus de router heeft het doorgestuurd.
cev-scanner-target = De scanner zegt zelf dat hij { $scanner_target } als doel had.
cev-sip-rewritten = { $messages } SIP-berichten zijn onderweg door de router veranderd (velden: { $fields }).
cev-rewrite-sample = Om { $time } veranderde de router { $fields }: "{ $before }" werd "{ $after }".
cev-routing-loop = { $messages ->
        [one] { $messages } pakket ging
       *[other] { $messages } pakketten gingen
    } rond in een routeringslus; { $messages ->
        [one] het
       *[other] één ervan
    } is { $copies } keer gezien (TTL { $first_ttl } tot { $last_ttl }) om { $time }.
cev-frame-storm = { $messages } pakketten werden ongewijzigd herhaald op het netwerk (een lus tussen switches of een hub); één ervan is { $copies } keer gezien om { $time }.
cev-between = Tussen { $source } en { $destination }.
cev-phone-rang-for-stranger = Toestel { $phone } ging { $calls } keer over voor een beller die niet uw provider is.

## Diagnose (live tests; elke oorzaak krijgt een oordeel)

diagnose-title = ghostguard-diagnose
diagnose-input = Reflector: { $reflector }. Live opname: { $capture }.
verdict-diagnose-found = { $count ->
        [one] Eén oorzaak gevonden
       *[other] { $count } oorzaken gevonden
    }: { $causes }
verdict-diagnose-none = Geen oorzaak gevonden
heading-verdicts = De oorzaken één voor één
cause-line-not-found = { $cause }: niet gevonden
cause-line-not-tested = { $cause }: kon niet getest worden
cause-hardware-nat = Hardware NAT in de router verandert poorten op een manier die SIP kan breken
cause-old-router = Het modem of de router is oud of onbekend en kan VoIP mogelijk niet goed aan
cev-alg-rewritten = Via { $transport } poort { $port } kwam het testbericht veranderd aan: { $fields }.
cev-alg-change = { $field } werd verstuurd als "{ $sent }" en kwam aan als "{ $received }".
cev-alg-unchanged = Via { $transport } poort { $port } kwam het testbericht precies zo aan als het verstuurd was.
cev-alg-no-answer = Via { $transport } poort { $port } kwam geen echo terug: { $error }.
cev-source-port-rewritten = Via { $transport } poort { $port } veranderde de router de bronpoort: verstuurd vanaf { $local }, op internet gezien als { $observed }.
cev-source-port-kept = Via { $transport } poort { $port } hield de router de bronpoort gelijk ({ $local } werd gezien als { $observed }).
cev-probe-answered = Een SIP-testbericht vanaf internet naar uw publieke adres { $target } kreeg antwoord (status { $status }): iets in uw netwerk neemt SIP van iedereen aan.
cev-probe-agent = Het apparaat dat antwoordde noemt zich "{ $agent }".
cev-probe-non-sip = Iets antwoordde op een SIP-testbericht naar uw publieke adres { $target }, maar niet in SIP.
cev-probe-silent = Niets antwoordde op een SIP-testbericht vanaf internet naar uw publieke adres { $target }.
cev-probe-closed = Uw publieke adres { $target } weigerde een SIP-testbericht vanaf internet (de poort is dicht).
cev-capture-clean = { $seconds } seconden meegeluisterd op { $interface } ({ $messages } SIP-berichten), en niets van deze soort gezien.
cev-gateway = Uw router is { $address } (MAC { $mac }, merk { $vendor }).
cev-gateway-unknown = Uw router is { $address } (MAC { $mac }); het merk is onbekend, wat vaak voorkomt bij oude of goedkope modems.
cev-reflector-unreachable = De reflector { $reflector } was niet bereikbaar: { $error }.
cev-probe-not-run = De test vanaf internet kon niet draaien: { $error }.
cev-capture-failed = De live opname kon niet draaien: { $error }.
cev-no-stranger-invite = Tijdens de opname van { $seconds } seconden kwam geen gesprek van een vreemde bij een toestel aan, dus dit valt nu niet te beoordelen.
cev-binding-not-tested = Hoe lang de router een NAT-verbinding openhoudt, is niet gemeten.
cev-binding-not-run = Hoe lang de router een NAT-verbinding openhoudt, kon niet gemeten worden: { $error }.
cev-binding-short = De router vergat de NAT-verbinding na tussen { $lower } en { $upper } seconden (een bericht terug na { $lower } s kwam aan, na { $upper } s niet), eerder dan de toestellen zich opnieuw aanmelden: elke { $interval } s ({ $source ->
        [captured] gezien in de opname
       *[default] de gebruikelijke standaard; in de opname was geen REGISTER te zien
    }). Daartussen kunnen gesprekken naar de toestellen verloren gaan.
cev-binding-kept = De router hield de NAT-verbinding minstens { $lower } seconden open, langer dan de toestellen tussen twee aanmeldingen wachten: { $interval } s ({ $source ->
        [captured] gezien in de opname
       *[default] de gebruikelijke standaard; in de opname was geen REGISTER te zien
    }).
cev-binding-unclear = De router hield de NAT-verbinding tussen { $lower } en { $upper } seconden open; de toestellen melden zich elke { $interval } s opnieuw aan ({ $source ->
        [captured] gezien in de opname
       *[default] de gebruikelijke standaard; in de opname was geen REGISTER te zien
    }), en dat ligt daartussen. Herhaal de test met een wachttijd dicht bij die tijd (--nat-wait).
cev-binding-outlived-waits = De router hield de NAT-verbinding minstens { $lower } seconden open, de langste geteste wachttijd; de toestellen melden zich elke { $interval } s opnieuw aan ({ $source ->
        [captured] gezien in de opname
       *[default] de gebruikelijke standaard; in de opname was geen REGISTER te zien
    }). Herhaal de test met een langere wachttijd (--nat-wait).
cev-gateway-not-found = Het adres of de MAC van de router kon op deze computer niet gelezen worden.
cev-router-age-unknown = Model en leeftijd zijn niet via het netwerk te zien: vergelijk de router van { $vendor } met de lijst van ondersteunde routers van uw provider.
label-why = Waarom

## HTML

html-subtitle = SIP-scanners en spookgesprekken
chart-request-count = { $count ->
        [one] { $count } SIP-verzoek
       *[other] { $count } SIP-verzoeken
    }
chart-ghost-call = spookgesprek
chart-caption = Staven bovenaan: SIP-verzoeken in de tijd. Eén lijn per kwaadwillende bron, van eerste tot laatste keer gezien. Rode streepjes: spookgesprekken.
