// The idle-timeout warning (SPEC §9: sessions end after 30 idle minutes).
// Two minutes before the end a banner offers "stay signed in", which
// touches the session. Without JavaScript nothing is lost either: a form
// posted after the timeout is kept on the server for after signing in.
(function () {
  'use strict';
  var box = document.getElementById('session-warning');
  var stay = document.getElementById('session-stay');
  if (!box || !stay) { return; }
  var idle = Number(box.getAttribute('data-idle')) * 1000;
  var warnBefore = 2 * 60 * 1000;
  var timer = 0;
  function arm() {
    window.clearTimeout(timer);
    box.hidden = true;
    box.setAttribute('data-armed', 'true');
    timer = window.setTimeout(function () {
      box.hidden = false;
      stay.focus();
    }, Math.max(idle - warnBefore, 1000));
  }
  stay.addEventListener('click', function () {
    window.fetch('/session/ping', { credentials: 'same-origin', cache: 'no-store' }).then(function (r) {
      if (r.ok) { arm(); }
    });
  });
  arm();
}());
