/**
 * The AWS SDK, and nothing of Lifeboat's: the bundle puts this file in dist/offsiteS3.js, loaded
 * only when an S3 destination is used, so activation does not parse the SDK. Lifeboat's own
 * code stays in the main bundle, so its error classes are the same classes everywhere.
 */
export {
  AbortMultipartUploadCommand,
  CompleteMultipartUploadCommand,
  CopyObjectCommand,
  CreateMultipartUploadCommand,
  DeleteObjectCommand,
  GetObjectCommand,
  HeadObjectCommand,
  ListMultipartUploadsCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
  UploadPartCopyCommand,
} from '@aws-sdk/client-s3';
export { Upload } from '@aws-sdk/lib-storage';
export { fromNodeProviderChain } from '@aws-sdk/credential-providers';

export type S3Sdk = typeof import('./s3Sdk');
