import type { Lifeboat } from '../lifeboat';

export async function refresh(lb: Lifeboat): Promise<void> {
  lb.tree.refresh();
}
