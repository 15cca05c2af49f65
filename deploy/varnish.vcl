# Varnish in front of skl-cms (or of the nginx that balances several instances,
# deploy/nginx-upstream.conf), keeping public pages for as long as skl-cms allows and purged by
# skl-cms the moment content changes. skl-cms runs with
#
#     SKL_CDN_MAX_AGE=3600 SKL_CDN_PURGE=http://127.0.0.1:6081/
#
# and Varnish (Debian: apt-get install varnish) with
#
#     varnishd -a :6081 -f /etc/varnish/skl-cms.vcl -s malloc,256m
#
# TLS ends in front of Varnish (nginx, HAProxy or the CDN). tests/varnish.rs runs this very file.
vcl 4.1;

import std;

backend skl_cms {
    .host = "127.0.0.1";
    .port = "3000";
    # Until the backend answers again, Varnish serves what it keeps, stale within
    # stale-while-revalidate (as long as --cdn-max-age), instead of errors.
    # Sick after 3 of the last 5 probes failed, so that one slow answer under load is not taken
    # for an instance that is gone.
    .probe = {
        .url = "/readyz";
        .interval = 2s;
        .timeout = 2s;
        .window = 5;
        .threshold = 3;
    }
}

# Who may purge: the machines skl-cms runs on.
acl purgers {
    "127.0.0.1";
    "::1";
}

sub vcl_recv {
    # skl-cms sends `PURGE` with the surrogate keys of what a change made stale in `xkey-purge`
    # (letters, digits and dashes). Each becomes a ban of every object that names one of them in its
    # `xkey` header; `site` is on every object. The ban names only the object, so Varnish's ban
    # lurker clears it in the background. (With vmod xkey from varnish-modules, `xkey.purge()` on the
    # same header does the same.)
    if (req.method == "PURGE") {
        if (client.ip !~ purgers) {
            return (synth(405, "Not allowed"));
        }
        if (req.http.xkey-purge !~ "^[a-z0-9-]+( [a-z0-9-]+)*$") {
            return (synth(400, "Name the keys to purge in xkey-purge"));
        }
        # (The pattern has no spaces: a ban's argument ends at the first.) A ban Varnish refuses
        # is answered 500, so that skl-cms logs it and tries again.
        if (std.ban("obj.http.xkey ~ (^|\s)(" + regsuball(req.http.xkey-purge, " ", "|") + ")(\s|$)")) {
            return (synth(200, "Purged"));
        }
        return (synth(500, std.ban_error()));
    }
    # The editors' area is never kept. (Its session cookie is sent to /admin only, so visitors'
    # requests for public pages carry no cookie and are cached.)
    if (req.url ~ "^/admin") {
        return (pass);
    }
}

sub vcl_deliver {
    # The keys are for this cache, not for visitors.
    unset resp.http.xkey;
    if (obj.hits > 0) {
        set resp.http.X-Cache = "HIT";
    } else {
        set resp.http.X-Cache = "MISS";
    }
}
