// Tourniquet dashboard: a read-only view of incidents, approvals, breach clocks and response times.
// Everything shown comes from /dashboard/api with the bearer token kept for this browser tab only.
// Text is always inserted as text (never as HTML): titles and timelines come from alerts.
(function () {
  'use strict';
  var TOKEN_KEY = 'tourniquet.dashboard.token';
  var REFRESH_MS = 10000;
  var app = document.getElementById('app');
  var login = document.getElementById('login');
  var chart = null;
  var timer = null;

  function el(tag, attrs, children) {
    var node = document.createElement(tag);
    Object.keys(attrs || {}).forEach(function (k) {
      if (k === 'text') node.textContent = attrs[k];
      else node.setAttribute(k, attrs[k]);
    });
    (children || []).forEach(function (c) { if (c) node.appendChild(c); });
    return node;
  }

  function table(headers, rows, testid) {
    return el('table', { 'data-testid': testid }, [
      el('thead', {}, [el('tr', {}, headers.map(function (h) { return el('th', { text: h }); }))]),
      el('tbody', {}, rows),
    ]);
  }

  function when(iso) {
    return iso ? new Date(iso).toISOString().replace('T', ' ').slice(0, 16) + 'Z' : '—';
  }

  function api(path) {
    var token = sessionStorage.getItem(TOKEN_KEY);
    if (!token) return Promise.reject(new Error('signed out'));
    return fetch('/dashboard/api' + path, { headers: { authorization: 'Bearer ' + token } }).then(function (res) {
      if (res.status === 404) {
        // A dashboard turned off since the page loaded says so (shown like any other error).
        return res.json().then(function (body) { throw new Error(body.message || 'not found'); });
      }
      if (res.status === 401) {
        sessionStorage.removeItem(TOKEN_KEY);
        showLogin('That token was not accepted.');
        throw new Error('unauthorized');
      }
      if (!res.ok) throw new Error('the dashboard API answered ' + res.status);
      return res.json();
    });
  }

  function showLogin(message) {
    app.hidden = true;
    login.hidden = false;
    document.getElementById('login-error').textContent = message || '';
  }

  function incidentLink(id, label) {
    return el('a', { href: '#/incident/' + encodeURIComponent(id), text: label || id });
  }

  function daysLeft(dueAt, now) {
    return (Date.parse(dueAt) - now) / 86400000;
  }

  function renderClocks(clocks, now) {
    if (clocks.length === 0) return el('p', { class: 'empty', text: 'No open breach-notification clocks.' });
    var rows = [];
    clocks.forEach(function (clock) {
      var open = clock.obligations.filter(function (o) { return !o.done; });
      var incident = clock.incidentId ? incidentLink(clock.incidentId, clock.title || clock.incidentId) : document.createTextNode(clock.id);
      if (open.length === 0) {
        rows.push(el('tr', {}, [el('td', {}, [incident]), el('td', { text: '—' }), el('td', { text: '—' }), el('td', { text: 'no open obligation' })]));
      }
      open.forEach(function (o) {
        var left = daysLeft(o.dueAt, now);
        var overdue = left < 0;
        var label = overdue ? 'overdue by ' + Math.ceil(-left) + ' day(s)' : Math.floor(left) + ' day(s) left';
        rows.push(el('tr', { class: overdue ? 'overdue' : '' }, [
          el('td', {}, [incident.cloneNode(true)]),
          el('td', { text: o.name }),
          // The legal date (the rule's last day, as `tourniquet clocks show` prints it), not the instant it passes in UTC.
          el('td', { class: 'deadline', text: o.deadline || when(o.dueAt) }),
          el('td', { class: 'countdown', text: label }),
        ]));
      });
    });
    return table(['Incident', 'Obligation', 'Deadline (last day)', 'Countdown'], rows, 'clocks');
  }

  function renderAccess(grants, now) {
    if (!grants || grants.length === 0) return el('p', { class: 'empty', text: 'No break-glass access is open.' });
    return table(['Request', 'Profile', 'Holder', 'Status', 'Time left'], grants.map(function (g) {
      var left = g.expiresAt ? Math.max(0, Math.ceil((Date.parse(g.expiresAt) - now) / 60000)) + ' min' : '—';
      return el('tr', {}, [el('td', { text: g.id }), el('td', { text: g.profile }), el('td', { text: g.holder }), el('td', { text: g.status }), el('td', { class: 'countdown', text: left })]);
    }), 'access');
  }

  function renderReviews(reviews) {
    if (!reviews || reviews.length === 0) return el('p', { class: 'empty', text: 'No post-incident reviews or follow-up actions yet.' });
    return table(['Incident', 'Review', 'Follow-ups open', 'Overdue', 'Closed'], reviews.map(function (r) {
      return el('tr', { class: r.followUps.overdue > 0 ? 'overdue' : '' }, [
        el('td', {}, [incidentLink(r.incidentId, r.title || r.incidentId)]),
        el('td', { class: 'review', text: r.review }),
        el('td', { text: String(r.followUps.open) }),
        el('td', { class: 'overdue-count', text: String(r.followUps.overdue) }),
        el('td', { text: String(r.followUps.closed) }),
      ]);
    }), 'reviews');
  }

  function minutes(summary) {
    return summary ? (summary.p50 / 60).toFixed(1) : '—';
  }

  function renderReleases(groups) {
    if (!groups || groups.length === 0) return el('p', { class: 'empty', text: 'No incidents in the last 30 days.' });
    return table(['Release', 'Incidents', 'Failed', 'MTTD p50', 'MTTA p50', 'MTTC p50', 'MTTR p50'], groups.map(function (g) {
      return el('tr', {}, [
        el('td', { class: 'release', text: g.key }),
        el('td', { text: String(g.incidents) }),
        el('td', { text: String(g.outcomes.failed) }),
        el('td', { text: minutes(g.measures.mttd) }),
        el('td', { text: minutes(g.measures.mtta) }),
        el('td', { text: minutes(g.measures.mttc) }),
        el('td', { text: minutes(g.measures.mttr) }),
      ]);
    }), 'mttx-releases');
  }

  function rolesText(roles) {
    var names = Object.keys(roles || {});
    return names.length ? names.map(function (n) { return n + ': ' + roles[n]; }).join(' · ') : '—';
  }

  function statusText(r) {
    return r.status + (r.halted ? ' (halted at ' + r.halted + ')' : '') + (r.escalated ? ' (escalated)' : '');
  }

  function renderChart(container, times) {
    if (chart) { chart.destroy(); chart = null; }
    if (times.openedAt.length === 0) {
      container.appendChild(el('p', { class: 'empty', text: 'No incidents in the last 30 days.' }));
      return;
    }
    var opts = {
      title: 'Response times (minutes) by incident opening time',
      width: Math.max(480, Math.min(1100, window.innerWidth - 48)),
      height: 260,
      series: [
        {},
        { label: 'MTTD', stroke: '#7c3aed', points: { show: true } },
        { label: 'MTTC', stroke: '#d97706', points: { show: true } },
        { label: 'MTTR', stroke: '#059669', points: { show: true } },
      ],
      axes: [{}, { label: 'minutes' }],
    };
    chart = new uPlot(opts, [times.openedAt, times.mttd, times.mttc, times.mttr], container);
  }

  function renderOverview(data) {
    var now = Date.now();
    app.replaceChildren();
    var counts = Object.keys(data.byStatus).map(function (s) { return s + ': ' + data.byStatus[s]; }).join(' · ');
    app.appendChild(el('p', { 'data-testid': 'status-counts', text: counts }));

    app.appendChild(el('h2', { text: 'Open incidents (' + data.open.length + ')' }));
    app.appendChild(data.open.length === 0 ? el('p', { class: 'empty', text: 'No open incidents.' }) : table(
      ['Incident', 'Title', 'Severity', 'Status', 'Roles', 'Runbook', 'Opened', 'Alerts', 'Approvals pending'],
      data.open.map(function (r) {
        return el('tr', { class: 'sev-' + r.severity + (r.escalated ? ' escalated' : '') }, [
          el('td', {}, [incidentLink(r.id, r.id.replace(/^incident\//, '').slice(0, 12))]),
          el('td', { text: r.title }),
          el('td', { text: r.severity }),
          el('td', { class: 'status', text: statusText(r) }),
          el('td', { class: 'roles', text: rolesText(r.roles) }),
          el('td', { text: r.runbook || '—' }),
          el('td', { text: when(r.openedAt) }),
          el('td', { text: String(r.alertCount) }),
          el('td', { text: String(r.pendingApprovals.length) }),
        ]);
      }),
      'incidents'));

    app.appendChild(el('h2', { text: 'Pending approvals (' + data.pendingApprovals.length + ')' }));
    app.appendChild(data.pendingApprovals.length === 0 ? el('p', { class: 'empty', text: 'Nothing waits for an approval.' }) : table(
      ['Incident', 'Step', 'Approved by', 'Plan'],
      data.pendingApprovals.map(function (p) {
        return el('tr', {}, [
          el('td', {}, [incidentLink(p.incidentId, p.title)]),
          el('td', { text: p.stepId + ' (' + p.stepType + ')' }),
          el('td', { text: p.approvals.length ? p.approvals.join(', ') : 'nobody yet' }),
          el('td', {}, [el('ul', {}, p.plan.map(function (line) { return el('li', { text: line }); }))]),
        ]);
      }),
      'approvals'));

    app.appendChild(el('h2', { text: 'Breach-notification clocks' }));
    app.appendChild(renderClocks(data.clocks, now));

    app.appendChild(el('h2', { text: 'Reviews and follow-up actions' }));
    app.appendChild(renderReviews(data.reviews));

    app.appendChild(el('h2', { text: 'Break-glass access' }));
    app.appendChild(renderAccess(data.access, now));

    app.appendChild(el('h2', { text: 'MTTD, MTTC and MTTR' }));
    var container = el('div', { id: 'chart', 'data-testid': 'chart' });
    app.appendChild(container);
    renderChart(container, data.responseTimes);
    app.appendChild(el('h3', { text: 'By release (minutes, median)' }));
    app.appendChild(renderReleases(data.mttxByRelease));
    document.getElementById('updated').textContent = 'updated ' + when(data.takenAt);
  }

  function renderIncident(data) {
    if (chart) { chart.destroy(); chart = null; }
    var r = data.incident;
    app.replaceChildren(
      el('p', {}, [el('a', { href: '#/', text: '← all incidents' })]),
      el('h2', { 'data-testid': 'incident-title', text: r.title }),
      el('p', { 'data-testid': 'incident-facts', text: r.id + ' · ' + r.severity + ' · ' + statusText(r) + ' · runbook ' + (r.runbook || '—') + ' · opened ' + when(r.openedAt) }),
      el('p', { 'data-testid': 'incident-roles', text: 'Roles: ' + rolesText(r.roles) }),
      el('h3', { text: 'Steps' }),
      table(['Step', 'Type', 'Status', 'Started', 'Finished'], r.steps.map(function (s) {
        return el('tr', { class: 'step-' + s.status }, [
          el('td', { text: s.id }), el('td', { text: s.type }), el('td', { text: s.status }), el('td', { text: when(s.startedAt) }), el('td', { text: when(s.finishedAt) }),
        ]);
      }), 'steps'),
      el('h3', { text: 'Timeline' }),
      el('ol', { 'data-testid': 'timeline', class: 'timeline' }, data.timeline.map(function (t) {
        return el('li', {}, [el('time', { text: when(t.at) }), el('span', { class: 'kind', text: t.kind }), el('span', { class: 'actor', text: t.actor }), el('span', { text: t.message })]);
      })),
    );
  }

  function route() {
    var match = /^#\/incident\/(.+)$/.exec(location.hash);
    var load = match
      ? api('/incident?id=' + encodeURIComponent(decodeURIComponent(match[1]))).then(renderIncident)
      : api('/overview').then(renderOverview);
    return load.then(function () { app.hidden = false; login.hidden = true; }, function (err) {
      if (err.message !== 'unauthorized' && err.message !== 'signed out') {
        app.replaceChildren(el('p', { class: 'error', role: 'alert', text: err.message }));
        app.hidden = false;
      }
    });
  }

  function start() {
    if (timer) clearInterval(timer);
    route();
    timer = setInterval(route, REFRESH_MS);
  }

  login.addEventListener('submit', function (event) {
    event.preventDefault();
    sessionStorage.setItem(TOKEN_KEY, document.getElementById('token').value);
    start();
  });
  window.addEventListener('hashchange', route);
  if (sessionStorage.getItem(TOKEN_KEY)) start();
  else showLogin('');
})();
