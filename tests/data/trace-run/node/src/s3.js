'use strict';
// AWS SDK v3 client: build a command and resolve the client's config offline.
const { S3Client, PutObjectCommand } = require('@aws-sdk/client-s3');

exports.handler = async () => {
  const client = new S3Client({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'not-a-secret' },
  });
  const cmd = new PutObjectCommand({ Bucket: 'b', Key: 'k', Body: 'x' });
  return { region: await client.config.region(), command: cmd.constructor.name };
};
