'use strict';
// Express 5: build an app and run one request through it in-process.
const express = require('express');
const http = require('http');

exports.handler = async () => {
  const app = express();
  app.get('/ping', (req, res) => res.json({ pong: true }));
  const server = http.createServer(app);
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address();
  const body = await new Promise((resolve, reject) => {
    http.get({ host: '127.0.0.1', port, path: '/ping' }, (res) => {
      let data = '';
      res.on('data', (c) => (data += c));
      res.on('end', () => resolve(data));
    }).on('error', reject);
  });
  server.close();
  return { express: require('express/package.json').version, body: JSON.parse(body) };
};
