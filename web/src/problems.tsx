/** A 400's problems (`path` + `message`), shown next to the field they are about and as one list. */
import { ApiError } from './api';

export interface Problem {
  path: string;
  message: string;
}

/** The problems of a failed request, or none (a 409 or a network error is only a sentence). */
export function problemsOf(error: unknown): Problem[] {
  if (!(error instanceof ApiError) || !Array.isArray(error.data.problems)) return [];
  return (error.data.problems as Problem[]).filter((problem) => typeof problem?.message === 'string');
}

/** Problems about `path` or anything inside it ("businessHours.monday" covers "businessHours.monday[1].open"). */
export function problemsAt(problems: Problem[], path: string): Problem[] {
  return problems.filter((problem) => problem.path === path || problem.path.startsWith(`${path}.`) || problem.path.startsWith(`${path}[`));
}

export function FieldProblems({ problems, path }: { problems: Problem[]; path: string }) {
  const here = problemsAt(problems, path);
  if (here.length === 0) return null;
  return (
    <span className="field-problem" role="alert" data-path={path}>
      {here.map((problem) => `${problem.path === path ? '' : `${problem.path.slice(path.length).replace(/^\./, '')}: `}${problem.message}`).join('; ')}
    </span>
  );
}

export function ProblemList({ problems, title }: { problems: Problem[]; title: string }) {
  if (problems.length === 0) return null;
  return (
    <div className="notice error" role="alert">
      <strong>{title}</strong>
      <ul className="problem-list">
        {problems.map((problem, index) => (
          <li key={index}>
            {problem.path ? <code>{problem.path}</code> : null}
            {problem.path ? ': ' : ''}
            {problem.message}
          </li>
        ))}
      </ul>
    </div>
  );
}
