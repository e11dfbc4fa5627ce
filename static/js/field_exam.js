// Field exams: add the phone's position to a photo form when the browser allows it (never blocks
// the upload: without a position the photo is saved with its time only).
(function () {
  "use strict";
  var form = document.querySelector("form[data-geolocate]");
  if (!form || !navigator.geolocation) return;
  var status = form.querySelector("[data-geo-status]");
  navigator.geolocation.getCurrentPosition(
    function (position) {
      form.querySelector("input[name=latitude]").value = position.coords.latitude.toFixed(6);
      form.querySelector("input[name=longitude]").value = position.coords.longitude.toFixed(6);
      if (status) status.textContent = status.textContent + " ✓";
    },
    function () {},
    { enableHighAccuracy: true, timeout: 10000, maximumAge: 60000 }
  );
})();
