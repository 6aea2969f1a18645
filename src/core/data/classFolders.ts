// Class indices for a folder-per-class zip. The index must match the model's output order, and
// plain sorted order (torchvision's ImageFolder) shifts every later class when a folder is
// missing, so explicit numbers and the known CIFAR-10 names win over sorting.
import { CIFAR10_CLASS_NAMES } from './cifar10.ts';

export interface ClassAssignment {
  /** Label per folder name. */
  labels: Map<string, number>;
  /** Name per label index (a gap, with numbered folders, is named by its number). */
  classNames: string[];
}

const NUMBERED = /^(\d+)(?:[ _.-](.+))?$/;

/**
 * "3", "03_cat", "3-cat" -> label 3; else all CIFAR-10 names -> their CIFAR-10 index; else the
 * folders' sorted position.
 */
export function assignClassLabels(folders: readonly string[]): ClassAssignment {
  const unique = [...new Set(folders)].sort();
  const numbered = unique.map((f) => NUMBERED.exec(f));
  if (numbered.every((m) => m !== null)) return fromNumbers(unique, numbered as RegExpExecArray[]);
  const cifar: readonly string[] = CIFAR10_CLASS_NAMES;
  if (unique.every((f) => cifar.includes(f))) {
    return { labels: new Map(unique.map((f) => [f, cifar.indexOf(f)])), classNames: [...cifar] };
  }
  return { labels: new Map(unique.map((f, i) => [f, i])), classNames: unique };
}

function fromNumbers(folders: string[], matches: RegExpExecArray[]): ClassAssignment {
  const labels = new Map<string, number>();
  const classNames: string[] = [];
  folders.forEach((folder, i) => {
    const label = Number(matches[i][1]);
    if ([...labels.values()].includes(label)) {
      throw new Error(`two class folders are numbered ${label}`);
    }
    labels.set(folder, label);
    classNames[label] = matches[i][2] ?? folder;
  });
  return { labels, classNames: Array.from(classNames, (name, i) => name ?? String(i)) };
}
