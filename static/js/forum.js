// Forum: small progressive enhancements; every action also works without this file.
(function () {
  "use strict";
})();
