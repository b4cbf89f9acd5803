package ec2

import (
	"context"
	"errors"
	"fmt"
	"os"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"
	s3types "github.com/aws/aws-sdk-go-v2/service/s3/types"
	"github.com/aws/smithy-go"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/awsenv"
)

// Object keys of the artifacts in the bucket.
const (
	binaryKey = "vm/computeladder-vm"
	unitKey   = "vm/" + UnitName
)

// ArtifactExpiryDays is how long S3 keeps the artifacts (and incomplete
// multipart uploads) of a bucket nobody removed: the instance fetches them
// once, at boot, and terminates itself after its TTL (at most MaxTTL, a
// day), so a bucket left by a killed run empties itself until teardown or
// sweep removes it.
const ArtifactExpiryDays = 1

// bucketName is the prefix and run id (for IAM and people) and the
// deployment's suffix (against collisions): at most 14 + 40 + 1 + 8 = 63
// characters, S3's limit.
func bucketName(runID, suffix string) string { return awsenv.NamePrefix + runID + "-" + suffix }

// createBucket creates the private artifact bucket: public access blocked
// before anything is put in it, tagged so that Sweep finds it, its objects
// expiring after ArtifactExpiryDays (artifactLifecycle). created says
// whether the bucket exists (and is this deployment's to remove). Objects are
// encrypted (SSE-S3) and owned by the bucket owner by S3's defaults.
func (d *Deployer) createBucket(ctx context.Context, runID, name string) (created bool, err error) {
	in := &s3.CreateBucketInput{Bucket: aws.String(name)}
	if d.region != "us-east-1" {
		// us-east-1 refuses a location constraint naming itself.
		in.CreateBucketConfiguration = &s3types.CreateBucketConfiguration{
			LocationConstraint: s3types.BucketLocationConstraint(d.region),
		}
	}
	if _, err := d.s3.CreateBucket(ctx, in); err != nil {
		return false, fmt.Errorf("create bucket %s: %w", name, err)
	}
	if _, err := d.s3.PutPublicAccessBlock(ctx, &s3.PutPublicAccessBlockInput{
		Bucket: aws.String(name),
		PublicAccessBlockConfiguration: &s3types.PublicAccessBlockConfiguration{
			BlockPublicAcls:       aws.Bool(true),
			IgnorePublicAcls:      aws.Bool(true),
			BlockPublicPolicy:     aws.Bool(true),
			RestrictPublicBuckets: aws.Bool(true),
		},
	}); err != nil {
		return true, fmt.Errorf("block public access to bucket %s: %w", name, err)
	}
	if _, err := d.s3.PutBucketTagging(ctx, &s3.PutBucketTaggingInput{
		Bucket:  aws.String(name),
		Tagging: &s3types.Tagging{TagSet: s3Tags(runID)},
	}); err != nil {
		return true, fmt.Errorf("tag bucket %s: %w", name, err)
	}
	if _, err := d.s3.PutBucketLifecycleConfiguration(ctx, &s3.PutBucketLifecycleConfigurationInput{
		Bucket:                 aws.String(name),
		LifecycleConfiguration: artifactLifecycle(runID),
	}); err != nil {
		return true, fmt.Errorf("set the lifecycle of bucket %s: %w", name, err)
	}
	return true, nil
}

// lifecycleRuleID names the bucket's one lifecycle rule as the bucket is
// named: the prefix and the run id.
func lifecycleRuleID(runID string) string {
	return awsenv.NamePrefix + runID + "-expire-artifacts"
}

// artifactLifecycle expires every object of the bucket, and aborts every
// incomplete multipart upload, ArtifactExpiryDays after it was made. The
// rule applies to the whole bucket (empty prefix), not to objects with the
// run's tags: the objects carry none, and S3 refuses a tag filter on a rule
// that aborts multipart uploads. The bucket itself stays, empty, until
// teardown or sweep.
func artifactLifecycle(runID string) *s3types.BucketLifecycleConfiguration {
	return &s3types.BucketLifecycleConfiguration{Rules: []s3types.LifecycleRule{{
		ID:         aws.String(lifecycleRuleID(runID)),
		Status:     s3types.ExpirationStatusEnabled,
		Filter:     &s3types.LifecycleRuleFilter{Prefix: aws.String("")},
		Expiration: &s3types.LifecycleExpiration{Days: aws.Int32(ArtifactExpiryDays)},
		AbortIncompleteMultipartUpload: &s3types.AbortIncompleteMultipartUpload{
			DaysAfterInitiation: aws.Int32(ArtifactExpiryDays),
		},
	}}}
}

// upload puts the file at path under key.
func (d *Deployer) upload(ctx context.Context, bucket, key, path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("upload %s: %w", key, err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("upload %s: %w", key, err)
	}
	if _, err := d.s3.PutObject(ctx, &s3.PutObjectInput{
		Bucket:        aws.String(bucket),
		Key:           aws.String(key),
		Body:          f,
		ContentLength: aws.Int64(st.Size()),
	}); err != nil {
		return fmt.Errorf("upload %s to bucket %s: %w", key, bucket, err)
	}
	return nil
}

// presign returns a GET URL for key that works for PresignExpiry.
func (d *Deployer) presign(ctx context.Context, bucket, key string) (string, error) {
	req, err := d.presigner.PresignGetObject(ctx, &s3.GetObjectInput{
		Bucket: aws.String(bucket),
		Key:    aws.String(key),
	}, s3.WithPresignExpires(PresignExpiry))
	if err != nil {
		return "", fmt.Errorf("presign %s: %w", key, err)
	}
	return req.URL, nil
}

// deleteBucket deletes every object of the bucket, then the bucket. A bucket
// already gone counts as deleted.
func (d *Deployer) deleteBucket(ctx context.Context, name string) error {
	var errs []error
	p := s3.NewListObjectsV2Paginator(d.s3, &s3.ListObjectsV2Input{Bucket: aws.String(name)})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if isCode(err, "NoSuchBucket") {
			return nil
		}
		if err != nil {
			return fmt.Errorf("list objects of bucket %s: %w", name, err)
		}
		for _, o := range page.Contents {
			if _, err := d.s3.DeleteObject(ctx, &s3.DeleteObjectInput{Bucket: aws.String(name), Key: o.Key}); err != nil && !isCode(err, "NoSuchKey", "NoSuchBucket") {
				errs = append(errs, fmt.Errorf("delete object %s of bucket %s: %w", aws.ToString(o.Key), name, err))
			}
		}
	}
	if len(errs) > 0 {
		return errors.Join(errs...)
	}
	if _, err := d.s3.DeleteBucket(ctx, &s3.DeleteBucketInput{Bucket: aws.String(name)}); err != nil && !isCode(err, "NoSuchBucket") {
		return fmt.Errorf("delete bucket %s: %w", name, err)
	}
	return nil
}

// listBuckets returns this region's buckets whose tags carry
// runID (any run's when empty) and the VM variant. Only names with the
// prefix are asked for their tags: S3 cannot filter by tag.
func (d *Deployer) listBuckets(ctx context.Context, runID string) ([]deployers.Resource, error) {
	var rs []deployers.Resource
	p := s3.NewListBucketsPaginator(d.s3, &s3.ListBucketsInput{
		Prefix:       aws.String(awsenv.NamePrefix + runID),
		BucketRegion: aws.String(d.region),
	})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		if err != nil {
			return nil, fmt.Errorf("list buckets: %w", err)
		}
		for _, b := range page.Buckets {
			name := aws.ToString(b.Name)
			tags, err := d.s3.GetBucketTagging(ctx, &s3.GetBucketTaggingInput{Bucket: b.Name})
			if isCode(err, "NoSuchTagSet", "NoSuchBucket") {
				continue
			}
			if err != nil {
				return nil, fmt.Errorf("tags of bucket %s: %w", name, err)
			}
			m := map[string]string{}
			for _, t := range tags.TagSet {
				m[aws.ToString(t.Key)] = aws.ToString(t.Value)
			}
			if matches(m, runID) {
				rs = append(rs, resource(KindBucket, name, m[deployers.TagRunID]).OwnedBy(m[deployers.TagOwner]))
			}
		}
	}
	return rs, nil
}

// matches reports whether tags carry runID (any run id when empty) and the
// VM variant: other variants' resources share the run id.
func matches(tags map[string]string, runID string) bool {
	id, ok := tags[deployers.TagRunID]
	if !ok || (runID != "" && id != runID) {
		return false
	}
	return tags[awsenv.TagVariant] == string(deployers.VM)
}

// isCode reports whether err is an API error with one of codes.
func isCode(err error, codes ...string) bool {
	var apiErr smithy.APIError
	if !errors.As(err, &apiErr) {
		return false
	}
	for _, c := range codes {
		if apiErr.ErrorCode() == c {
			return true
		}
	}
	return false
}
