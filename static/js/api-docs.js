// The API docs page: starts Swagger UI on the schema named by the page (no inline script:
// the Content-Security-Policy forbids it). Writes from the page send the CSRF token.
"use strict";
(function () {
  var container = document.getElementById("swagger-ui");
  var csrfHeader = container.dataset.csrfHeader || "X-CSRFToken";

  function csrfToken() {
    var match = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    return match ? decodeURIComponent(match[1]) : "";
  }

  window.ui = SwaggerUIBundle({
    url: container.dataset.schemaUrl,
    dom_id: "#swagger-ui",
    presets: [SwaggerUIBundle.presets.apis],
    layout: "BaseLayout",
    deepLinking: true,
    requestInterceptor: function (request) {
      if (request.method && request.method !== "GET") {
        request.headers[csrfHeader] = csrfToken();
      }
      return request;
    },
  });
})();
