/* What the pages that talk to the local signing agent share (certificate-agent.js, self-test.js,
   recovery.js, stamp.js, commitment.js): messages, reading JSON answers, calling the agent
   (docs/agent.md) and the platform's API with its CSRF header; detecting the agent (GET /v1/info,
   then GET /v1/certificates, or the "start the agent" panel), the agent's certificates offered as
   radio choices or <select> options, a platform challenge signed by the agent, a proof of decryption
   (self-test.js, encryption-bind.js), and the start and
   the failure of a form's submission. No external assets. */
(function () {
  "use strict";
  var USAGES = {                                      // the key usages a page's filter asks for, any one
    sign: ["digitalSignature", "nonRepudiation"],
    decrypt: ["keyEncipherment", "keyAgreement", "dataEncipherment"]
  };
  function hasUsage(cert, usages) {
    var usage = cert.key_usage || [];
    return usages.some(function (u) { return usage.indexOf(u) >= 0; });
  }
  function element(tag, text) {
    var el = document.createElement(tag);
    if (text !== undefined) { el.textContent = text; }
    return el;
  }

  window.EbidClient = function (agentUrl) {
    agentUrl = agentUrl.replace(/\/+$/, "");
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

    /* Look for the agent: GET /v1/info (protocol 1 and o.capabilities), then GET /v1/certificates,
       whose list goes to o.onReady(certs). o.status says how it goes (o.connecting, o.unsupported
       and o.down replace the usual texts); o.missing, the "start the agent" panel, is shown when
       nothing answers; o.hide are hidden while looking; o.before() runs first (a promise). */
    function detect(o) {
      (o.hide || []).forEach(function (el) { el.hidden = true; });
      if (o.missing) { o.missing.hidden = true; }
      say(o.status, o.connecting || "正在连接本机签名助手 " + agentUrl + " …", "info");
      return (o.before ? o.before() : Promise.resolve()).then(function () {
        return agent("/v1/info");
      }).then(function (info) {
        var capabilities = (info.body && info.body.capabilities) || [];
        var lacking = (o.capabilities || []).some(function (c) { return capabilities.indexOf(c) < 0; });
        if (!info.ok || !info.body || info.body.protocol_version !== 1 || lacking) {
          throw {message: errorText(info.body, o.unsupported || "签名助手的协议版本不受支持 (unsupported agent protocol)")};
        }
        return agent("/v1/certificates");
      }).then(function (r) {
        if (!r.ok) { throw {message: errorText(r.body, "签名助手拒绝了请求 (HTTP " + r.status + ")")}; }
        o.onReady(r.body.certificates || []);
      }).catch(function (e) {
        if (e && e.agentDown) {
          say(o.status, o.down || "无法连接本机签名助手（" + agentUrl + "）：它没有运行，或浏览器未允许本网站访问本机。", "error");
          if (o.missing) { o.missing.hidden = false; }
        } else {
          say(o.status, (e && e.message) || "签名助手出错", "error");
        }
      });
    }

    /* The certificates whose key usage allows filter ("sign" | "decrypt"); none: all of them. */
    function usableFor(certs, filter) {
      var usages = USAGES[filter];
      return usages ? certs.filter(function (c) { return hasUsage(c, usages); }) : certs.slice();
    }
    function keyName(cert) { return (cert.key || cert.key_algorithm || "").toUpperCase(); }
    /* A radio choice's lines: common name (+ o.suffix(cert)), algorithm, token or key file, issuer,
       expiry (o.markExpired: "已过期" after it), serial, PIN tries left or locked; o.brief leaves
       out the issuer and the serial. */
    function certificateLines(cert, o) {
      var where = cert.location.type === "token" ? "USB Key " + cert.location.token : "密钥文件 " + cert.location.file;
      var expired = o.markExpired && new Date(cert.not_after) < new Date();
      var pin = cert.location.locked ? " · 已锁定" : " · PIN 剩余尝试 " + cert.location.pin_tries_left + " 次";
      return [
        ["strong", commonName(cert.subject) + (o.suffix ? o.suffix(cert) : "")],
        ["small", keyName(cert) + " · " + where + (o.brief ? "" : " · 签发者 " + commonName(cert.issuer))],
        ["small", "有效期至 " + cert.not_after.slice(0, 10) + (expired ? "（已过期）" : "") +
                  (o.brief ? "" : " · 序列号 " + cert.serial) + pin]
      ];
    }
    function certificateOption(cert) {
      var option = element("option", commonName(cert.subject || cert.id) + " · " + keyName(cert) + " · " +
        (cert.location && cert.location.type === "token" ? "USB Key" : "密钥文件") + " · 至 " + cert.not_after.slice(0, 10));
      option.value = cert.id;
      option.title = cert.subject || cert.id;
      return option;
    }
    /* Put the certificates that o.filter ("sign" | "decrypt"; none: all) lets through into container:
       <option>s of a <select>, else radio choices (name o.name or "certificate", value o.value(cert)
       or the agent's id, class o.className or "cert-option", the first checked; o.decorate(label,
       input, cert) adds to one). Returns those certificates. */
    function renderCertificates(container, certs, options) {
      var o = options || {}, usable = usableFor(certs, o.filter);
      container.textContent = "";
      usable.forEach(function (cert, i) {
        if (container.tagName === "SELECT") { container.appendChild(certificateOption(cert)); return; }
        var label = element("label"), input = element("input"), text = element("span");
        label.className = o.className || "cert-option";
        input.type = "radio"; input.name = o.name || "certificate"; input.value = o.value ? o.value(cert) : cert.id;
        if (i === 0) { input.checked = true; }
        certificateLines(cert, o).forEach(function (l) { text.appendChild(element(l[0], l[1])); });
        label.appendChild(input); label.appendChild(text);
        if (o.decorate) { o.decorate(label, input, cert); }
        container.appendChild(label);
      });
      return usable;
    }

    /* A fresh challenge of the platform for purpose, signed by the agent: {challenge, signature}. */
    function signedChallenge(purpose, certificate, pin) {
      var challenge;
      return platform("/api/v1/challenges", {purpose: purpose}).then(function (r) {
        if (!r.ok) { throw {message: errorText(r.body, "无法取得验证挑战")}; }
        challenge = r.body;
        return agent("/v1/sign", {certificate: certificate, pin: pin, data: challenge.message});
      }).then(function (signed) {
        if (!signed.ok) { throw {message: "签名助手：" + errorText(signed.body, "签名失败 (HTTP " + signed.status + ")")}; }
        return {challenge: challenge.id, signature: signed.body.signature};
      });
    }
    /* A proof of decryption (the self-test, binding an encryption certificate): POST startPath
       {certificate: certificate (base64 DER)}, have the agent unwrap the RecipientInfo with the key
       of certificateId and re-encrypt the content key to the platform's transport certificate
       (/v1/unwrap), and POST {envelope} to finishPath(started). Resolves to the platform's last
       answer ({ok, status, body}); a refusal of the start or of the agent is thrown. */
    function decryptionProof(startPath, certificate, certificateId, pin, finishPath) {
      var started;
      return platform(startPath, {certificate: certificate}).then(function (r) {
        if (!r.ok) { throw {message: "平台拒绝了请求：" + errorText(r.body, "HTTP " + r.status)}; }
        started = r.body;
        return agent("/v1/unwrap", {certificate: certificateId, pin: pin, recipient_info: started.recipient_info,
                                    transport_certificate: started.transport_certificate});
      }).then(function (unwrapped) {
        if (!unwrapped.ok) {
          throw {message: "签名助手：" + errorText(unwrapped.body, "解密失败 (HTTP " + unwrapped.status + ")")};
        }
        return platform(finishPath(started), {envelope: unwrapped.body.envelope});
      });
    }
    /* A form's submission begins: the first of checks ([value, text]) with no value is said in el;
       else the form's submit button is disabled, busy is said and the button returned. */
    function begin(form, el, checks, busy) {
      for (var i = 0; i < checks.length; i++) {
        if (!checks[i][0]) { say(el, checks[i][1], "error"); return null; }
      }
      var button = form.querySelector("button[type=submit]");
      button.disabled = true;
      say(el, busy, "info");
      return button;
    }
    /* What a submission's .catch does: says in el that the agent is gone (down) or what failed. */
    function failure(el, fallback, down) {
      return function (e) {
        say(el, e && e.agentDown ? down || "签名时无法连接签名助手，请确认它仍在运行。" : (e && e.message) || fallback, "error");
      };
    }
    return {agentUrl: agentUrl, say: say, errorText: errorText, agent: agent, platform: platform,
            commonName: commonName, detect: detect, usableFor: usableFor, renderCertificates: renderCertificates,
            signedChallenge: signedChallenge, decryptionProof: decryptionProof, begin: begin, failure: failure};
  };

  /* A panel that proves decryption with one of the agent's encryption certificates (the self-test,
     binding an encryption-only certificate, opening the expert list): root holds .agent-status,
     .agent-missing, .agent-form (radio list .agent-certificates, input[name=pin]), .agent-result and
     .agent-retry, and data-agent-url. o.start / o.finish(started): the platform's two paths (see
     decryptionProof); o.ready, o.busy, o.failed: what is said; o.name: the radios' name; o.suffix,
     o.before(client): as for renderCertificates and detect; o.done(body, resultEl, redetect): the platform's
     success. Returns {client, detect}. */
  window.EbidDecryptionPanel = function (root, o) {
    var $ = function (sel) { return root.querySelector(sel); };
    var status = $(".agent-status"), missing = $(".agent-missing"), form = $(".agent-form");
    var list = $(".agent-certificates"), result = $(".agent-result");
    var name = o.name || "certificate", certificates = {};         // agent id → certificate (base64 DER)
    var client = window.EbidClient(root.dataset.agentUrl);
    function render(certs) {
      certificates = {};
      var usable = client.renderCertificates(list, certs, {filter: "decrypt", markExpired: true, name: name,
                                                           suffix: o.suffix});
      usable.forEach(function (cert) { certificates[cert.id] = cert.certificate; });
      if (!usable.length) {
        client.say(status, "签名助手已连接，但没有找到加密证书：请插入 USB Key 后点“重新检测”。", "error");
        return;
      }
      client.say(status, o.ready, "success");
      form.hidden = false;
    }
    function detect() {
      client.detect({status: status, missing: missing, hide: [form], capabilities: ["unwrap"], onReady: render,
                     before: o.before && function () { return o.before(client); }});
    }
    function submit(event) {
      event.preventDefault();
      var chosen = root.querySelector("input[name=" + name + "]:checked");
      var pinInput = $("input[name=pin]");
      var button = client.begin(form, result, [[chosen, "请选择证书"], [pinInput.value, "请输入 PIN 码"]], o.busy);
      if (!button) { return; }
      client.decryptionProof(o.start, certificates[chosen.value], chosen.value, pinInput.value, o.finish)
      .then(function (r) {
        pinInput.value = "";
        if (!r.ok) { throw {message: "平台：" + client.errorText(r.body, "HTTP " + r.status)}; }
        o.done(r.body, result, detect);
      }).catch(client.failure(result, o.failed, "无法连接签名助手，请确认它仍在运行。"))
        .then(function () { button.disabled = false; });
    }
    form.addEventListener("submit", submit);
    $(".agent-retry").addEventListener("click", detect);
    detect();
    return {client: client, detect: detect};
  };
}());
