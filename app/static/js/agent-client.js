/* What the pages that talk to the local signing agent share (certificate-agent.js, self-test.js):
   messages, reading JSON answers, calling the agent (docs/agent.md) and the platform's API with
   its CSRF header. No external assets. */
(function () {
  "use strict";
  window.EbidClient = function (agentUrl) {
    function say(el, text, kind) {
      el.textContent = text;
      el.className = el.className.replace(/\bflash(-\w+)?\b/g, "").trim() + " flash" + (kind ? " flash-" + kind : "");
      el.hidden = false;
    }
    function errorText(body, fallback) {
      if (body && body.error && body.error.message) {
        var text = body.error.message;
        var reasons = body.error.details && body.error.details.reasons;
        if (reasons && reasons.length) {
          text += "：" + reasons.map(function (r) { return r.message; }).join("；");
        }
        return text + " [" + body.error.code + "]";
      }
      return fallback;
    }
    function readJson(response) {
      return response.text().then(function (text) {
        var body = null;
        try { body = text ? JSON.parse(text) : null; } catch (e) { body = null; }
        return {ok: response.ok, status: response.status, body: body};
      });
    }
    function agent(path, body) {
      var options = body === undefined ? {method: "GET"} :
        {method: "POST", headers: {"Content-Type": "application/json"}, body: JSON.stringify(body)};
      return fetch(agentUrl + path, options).then(readJson, function () {
        throw {agentDown: true};
      });
    }
    var csrfToken = null;
    function platform(path, body) {
      var ready = csrfToken ? Promise.resolve(csrfToken) :
        fetch("/api/v1/csrf", {credentials: "same-origin"}).then(function (r) { return r.json(); })
          .then(function (b) { csrfToken = b.csrf_token; return csrfToken; });
      return ready.then(function (token) {
        var options = {credentials: "same-origin", headers: {"Accept": "application/json"}};
        if (body !== undefined) {
          options.method = "POST";
          options.headers["Content-Type"] = "application/json";
          options.headers["X-CSRFToken"] = token;
          options.body = JSON.stringify(body);
        }
        return fetch(path, options).then(readJson);
      });
    }
    function commonName(dn) {
      var m = /Common Name: ([^,]+)/.exec(dn || "");
      return m ? m[1] : dn;
    }
    return {say: say, errorText: errorText, agent: agent, platform: platform, commonName: commonName};
  };
}());
