import type { Lifeboat } from '../lifeboat';

export async function showLog(lb: Lifeboat): Promise<void> {
  lb.log.show();
}
