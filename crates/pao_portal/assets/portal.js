// PAO portal: live status on request pages (polls the page's live fragment; no reload).
(function () {
  'use strict';
  var live = document.getElementById('live');
  if (!live) return;
  var id = live.getAttribute('data-request');
  var done = ['completed', 'aborted', 'pr_closed'];
  function poll() {
    var status = live.getAttribute('data-status');
    if (done.indexOf(status) >= 0) return;
    fetch('/requests/' + encodeURIComponent(id) + '/live', { credentials: 'same-origin', headers: { accept: 'text/html' } })
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (html === null) return;
        var holder = document.createElement('div');
        holder.innerHTML = html;
        var fresh = holder.querySelector('#live');
        if (fresh && fresh.outerHTML !== live.outerHTML) {
          live.replaceWith(fresh);
          live = fresh;
        }
      })
      .catch(function () { /* the next poll tries again */ })
      .finally(function () { setTimeout(poll, 2000); });
  }
  setTimeout(poll, 2000);
})();
