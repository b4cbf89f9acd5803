package docker

import (
	"context"
	"errors"
	"fmt"

	cerrdefs "github.com/containerd/errdefs"
	"github.com/moby/moby/client"

	"github.com/computeladder/computeladder/deployers"
	"github.com/computeladder/computeladder/deployers/internal/engine"
)

// Teardown stops and removes the deployment's container, then its image. It
// accepts nil, treats resources already gone as removed, and returns the
// errors of its steps joined. It works from d.Resources alone, so a
// deployment read back from a report can be torn down by another process.
func (d *Deployer) Teardown(ctx context.Context, dep *deployers.Deployment) error {
	if dep == nil {
		return nil
	}
	var errs []error
	// Containers before images: an image in use cannot be removed.
	for _, r := range deployers.InKindOrder(dep.Resources, KindContainer, KindImage) {
		switch r.Kind {
		case KindContainer:
			errs = append(errs, d.removeContainer(ctx, r.ID))
		case KindImage:
			// By tag: removes this deployment's tag, and the image with it
			// unless another deployment's tag still points at it.
			errs = append(errs, d.removeImage(ctx, r.ID, false))
		default:
			errs = append(errs, fmt.Errorf("teardown %s: unknown resource kind", r))
		}
	}
	return errors.Join(errs...)
}

func (d *Deployer) removeContainer(ctx context.Context, id string) error {
	timeout := int(d.stopTimeout.Seconds())
	_, stopErr := d.api.ContainerStop(ctx, id, client.ContainerStopOptions{Timeout: &timeout})
	_, err := d.api.ContainerRemove(ctx, id, client.ContainerRemoveOptions{Force: true, RemoveVolumes: true})
	switch {
	case err == nil || cerrdefs.IsNotFound(err):
		// A failed stop does not matter once the forced remove killed the
		// container.
		return nil
	case stopErr != nil && !cerrdefs.IsNotFound(stopErr):
		return errors.Join(fmt.Errorf("stop container %s: %w", id, stopErr), fmt.Errorf("remove container %s: %w", id, err))
	default:
		return fmt.Errorf("remove container %s: %w", id, err)
	}
}

func (d *Deployer) removeImage(ctx context.Context, ref string, force bool) error {
	_, err := d.api.ImageRemove(ctx, ref, client.ImageRemoveOptions{Force: force, PruneChildren: true})
	if err == nil || cerrdefs.IsNotFound(err) {
		return nil
	}
	return fmt.Errorf("remove image %s: %w", ref, err)
}

// List returns the containers (running or not) and images of the container
// variant that carry runID, or every run's when runID is empty, as the engine
// reports them. Images include intermediate ones, which carry the labels
// only when a Dockerfile sets them itself.
func (d *Deployer) List(ctx context.Context, runID string) ([]deployers.Resource, error) {
	f := engine.LabelFilters(runID, deployers.Container)
	cs, err := d.api.ContainerList(ctx, client.ContainerListOptions{All: true, Filters: f})
	if err != nil {
		return nil, fmt.Errorf("list containers: %w: is Docker running?", err)
	}
	var out []deployers.Resource
	for _, c := range cs.Items {
		out = append(out, resource(KindContainer, c.ID, c.Labels))
	}
	is, err := d.api.ImageList(ctx, client.ImageListOptions{All: true, Filters: f})
	if err != nil {
		return out, fmt.Errorf("list images: %w", err)
	}
	for _, i := range is.Items {
		out = append(out, resource(KindImage, i.ID, i.Labels))
	}
	return out, nil
}

// Sweep removes what List finds: containers first, then images (forced, so
// that every tag of an image goes). It returns what it removed and the
// errors of what it could not remove.
func (d *Deployer) Sweep(ctx context.Context, runID string) ([]deployers.Resource, error) {
	rs, err := d.List(ctx, runID)
	if err != nil && len(rs) == 0 {
		return nil, fmt.Errorf("sweep: %w", err)
	}
	errs := []error{err}
	var removed []deployers.Resource
	for _, r := range deployers.InKindOrder(rs, KindContainer, KindImage) {
		var rerr error
		if r.Kind == KindContainer {
			rerr = d.removeContainer(ctx, r.ID)
		} else {
			rerr = d.removeImage(ctx, r.ID, true)
		}
		if rerr != nil {
			errs = append(errs, rerr)
			continue
		}
		removed = append(removed, r)
	}
	if err := errors.Join(errs...); err != nil {
		return removed, fmt.Errorf("sweep: %w", err)
	}
	return removed, nil
}

func resource(kind, id string, labels map[string]string) deployers.Resource {
	return deployers.Resource{
		Kind:    kind,
		ID:      id,
		RunID:   labels[deployers.LabelRunID],
		Variant: deployers.Variant(labels[deployers.LabelVariant]),
		Owner:   labels[deployers.LabelOwner],
	}
}
