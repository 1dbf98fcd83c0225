/** A small DOM builder: h('div', { class: 'x', on: { click } }, child, ...). No framework. */

export type Child = Node | string | number | null | undefined | false | Child[];

export interface Props {
  class?: string;
  /** Attributes set verbatim (data-testid, aria-*, title, type, ...). false/undefined leaves one out. */
  attrs?: Record<string, string | number | boolean | undefined>;
  style?: Record<string, string>;
  on?: { [K in keyof HTMLElementEventMap]?: (event: HTMLElementEventMap[K]) => void };
}

function append(parent: Node, child: Child): void {
  if (child === null || child === undefined || child === false) return;
  if (Array.isArray(child)) {
    for (const c of child) append(parent, c);
    return;
  }
  parent.appendChild(child instanceof Node ? child : document.createTextNode(String(child)));
}

export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  props: Props = {},
  ...children: Child[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  if (props.class) element.className = props.class;
  for (const [name, value] of Object.entries(props.attrs ?? {})) {
    if (value === false || value === undefined) continue;
    element.setAttribute(name, value === true ? '' : String(value));
  }
  for (const [name, value] of Object.entries(props.style ?? {})) element.style.setProperty(name, value);
  for (const [type, handler] of Object.entries(props.on ?? {})) {
    element.addEventListener(type, handler as EventListener);
  }
  append(element, children);
  return element;
}

/** Replaces all children of `parent`. */
export function replaceChildren(parent: Element, ...children: Child[]): void {
  parent.replaceChildren();
  append(parent, children);
}

/** A titled card: the frame every view is drawn in. */
export function section(id: string, title: string, lead: Child, ...body: Child[]): HTMLElement {
  return h(
    'section',
    { class: 'card', attrs: { id, 'aria-labelledby': `${id}-title` } },
    h('h2', { attrs: { id: `${id}-title` } }, title),
    lead ? h('p', { class: 'lead' }, lead) : null,
    ...body,
  );
}
