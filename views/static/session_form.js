// The quick session form (issue 15). Without JavaScript, picking a group or
// searching by case number reloads the form with the children ticked so
// far that the server knew of. With it, the children ticked since then go
// along too.
(function () {
  'use strict';
  var form = document.querySelector('form.session-form');
  if (!form) { return; }
  function ticked() {
    var ids = [];
    var boxes = form.querySelectorAll('input[name="participant_ids"]:checked');
    for (var i = 0; i < boxes.length; i++) { ids.push(boxes[i].value); }
    return ids;
  }
  var picks = document.querySelectorAll('a.group-pick');
  for (var i = 0; i < picks.length; i++) {
    picks[i].addEventListener('click', function (e) {
      var ids = ticked();
      if (!ids.length) { return; }
      e.preventDefault();
      var url = new URL(this.href, window.location.href);
      ids.forEach(function (id) { url.searchParams.append('participant', id); });
      window.location.assign(url.toString());
    });
  }
  var search = document.getElementById('session-search');
  if (!search) { return; }
  search.addEventListener('submit', function () {
    var old = search.querySelectorAll('input[name="participant"]');
    for (var j = 0; j < old.length; j++) { old[j].parentNode.removeChild(old[j]); }
    ticked().forEach(function (id) {
      var input = document.createElement('input');
      input.type = 'hidden';
      input.name = 'participant';
      input.value = id;
      search.appendChild(input);
    });
  });
}());
