// Starts Swagger UI on /docs (a file, not an inline script: the Content-Security-Policy forbids those).
const root = document.getElementById("swagger-ui");
window.ui = window.SwaggerUIBundle({
  url: root.dataset.openapiUrl,
  dom_id: "#swagger-ui",
  deepLinking: true,
  persistAuthorization: false,
});
