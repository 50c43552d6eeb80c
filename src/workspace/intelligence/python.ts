/**
 * Python projects: the environment manager (uv, Poetry, PDM, Pipenv, pip), pytest and tox when
 * a config or dependency shows them, and linters, type checkers and formatters by their config.
 */
import {
  findFrameworks,
  isRequirementsFile,
  type DetectedCommand,
  type Detection,
  type RepoView,
} from "./shared.js";
import { getRequirementName, scanToml, type TomlFacts } from "./toml.js";

/** Python package name → what to call it. */
const PYTHON_FRAMEWORKS: Readonly<Record<string, string>> = {
  django: "Django",
  flask: "Flask",
  fastapi: "FastAPI",
  starlette: "Starlette",
  pydantic: "Pydantic",
  sqlalchemy: "SQLAlchemy",
  celery: "Celery",
  pytest: "pytest",
  numpy: "NumPy",
  pandas: "pandas",
  "scikit-learn": "scikit-learn",
  torch: "PyTorch",
  tensorflow: "TensorFlow",
  jax: "JAX",
  transformers: "Transformers",
  streamlit: "Streamlit",
};
/** pyproject.toml, setup.cfg, tox.ini, Pipfile and requirements files. */
export function detectPython(repo: RepoView): Partial<Detection> {
  const requirements = repo.paths.filter(isRequirementsFile);
  const markers = ["pyproject.toml", "setup.py", "setup.cfg", "Pipfile", "tox.ini", "pytest.ini"];
  if (requirements.length === 0 && !markers.some((file) => repo.has(file))) return {};
  const pyproject = scanToml(repo.text("pyproject.toml") ?? "");
  const pipfile = scanToml(repo.text("Pipfile") ?? "");
  const setupCfg = repo.text("setup.cfg") ?? "";
  const toxIni = repo.text("tox.ini") ?? "";
  const dependencySources: Array<[string, ReadonlySet<string>]> = [
    ["pyproject.toml", pyproject.dependencies],
    ["Pipfile", pipfile.dependencies],
    ...requirements.map((file): [string, ReadonlySet<string>] => [
      file,
      readRequirements(repo.text(file) ?? ""),
    ]),
  ];
  const manager = getPythonManager(repo, pyproject, requirements);
  const run = manager.prefix;
  const hasTable = (prefix: string): boolean =>
    [...pyproject.tables].some((t) => t === prefix || t.startsWith(`${prefix}.`));
  const commands: DetectedCommand[] = [];
  const pytestSource =
    (repo.has("pytest.ini") ? "pytest.ini" : undefined) ??
    (hasTable("tool.pytest") ? "pyproject.toml [tool.pytest.ini_options]" : undefined) ??
    (/^\[tool:pytest\]/m.test(setupCfg) ? "setup.cfg [tool:pytest]" : undefined) ??
    (/^\[pytest\]/m.test(toxIni) ? "tox.ini [pytest]" : undefined) ??
    repo.paths.find((file) => file === "conftest.py" || file.endsWith("/conftest.py")) ??
    dependencySources.find(([, names]) => names.has("pytest"))?.[0];
  if (pytestSource !== undefined)
    commands.push({ kind: "test", command: `${run}pytest`, source: pytestSource });
  if (/^\[tox(:tox)?\]/m.test(toxIni))
    commands.push({ kind: "test", command: `${run}tox`, source: "tox.ini [tox]" });
  const ruffSource =
    repo.first(["ruff.toml", ".ruff.toml"]) ??
    (hasTable("tool.ruff") ? "pyproject.toml [tool.ruff]" : undefined);
  if (ruffSource !== undefined) {
    commands.push({ kind: "lint", command: `${run}ruff check`, source: ruffSource });
    commands.push({ kind: "format", command: `${run}ruff format`, source: ruffSource });
  }
  const flake8Source = repo.has(".flake8")
    ? ".flake8"
    : /^\[flake8\]/m.test(setupCfg)
      ? "setup.cfg [flake8]"
      : /^\[flake8\]/m.test(toxIni)
        ? "tox.ini [flake8]"
        : undefined;
  if (flake8Source !== undefined)
    commands.push({ kind: "lint", command: `${run}flake8`, source: flake8Source });
  const mypySource =
    repo.first(["mypy.ini", ".mypy.ini"]) ??
    (hasTable("tool.mypy") ? "pyproject.toml [tool.mypy]" : undefined) ??
    (/^\[mypy\]/m.test(setupCfg) ? "setup.cfg [mypy]" : undefined);
  if (mypySource !== undefined)
    commands.push({ kind: "typecheck", command: `${run}mypy .`, source: mypySource });
  const pyrightSource =
    repo.first(["pyrightconfig.json"]) ??
    (hasTable("tool.pyright") ? "pyproject.toml [tool.pyright]" : undefined);
  if (pyrightSource !== undefined)
    commands.push({ kind: "typecheck", command: `${run}pyright`, source: pyrightSource });
  if (hasTable("tool.black"))
    commands.push({
      kind: "format",
      command: `${run}black .`,
      source: "pyproject.toml [tool.black]",
    });
  return {
    packageManagers: [{ name: manager.name, source: manager.source }],
    frameworks: findFrameworks(dependencySources, PYTHON_FRAMEWORKS),
    commands,
  };
}

function getPythonManager(
  repo: RepoView,
  pyproject: TomlFacts,
  requirements: readonly string[],
): { name: string; source: string; prefix: string } {
  if (repo.has("uv.lock")) return { name: "uv", source: "uv.lock", prefix: "uv run " };
  if (repo.has("poetry.lock"))
    return { name: "Poetry", source: "poetry.lock", prefix: "poetry run " };
  if (pyproject.tables.has("tool.poetry"))
    return { name: "Poetry", source: "pyproject.toml [tool.poetry]", prefix: "poetry run " };
  if (repo.has("pdm.lock")) return { name: "PDM", source: "pdm.lock", prefix: "pdm run " };
  if (repo.has("Pipfile")) return { name: "Pipenv", source: "Pipfile", prefix: "pipenv run " };
  return {
    name: "pip",
    source:
      requirements[0] ??
      repo.first(["pyproject.toml", "setup.py", "setup.cfg"]) ??
      "Python project files",
    prefix: "",
  };
}

function readRequirements(text: string): Set<string> {
  const names = new Set<string>();
  for (const line of text.split(/\r?\n/)) {
    // Options (-r other.txt, --index-url) and comments name no package.
    if (/^\s*(#|-)/.test(line)) continue;
    const name = getRequirementName(line);
    if (name !== undefined) names.add(name);
  }
  return names;
}
