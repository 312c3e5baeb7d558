"""Running the official JavaScript Socket.IO client (npm, installed at test time) from tests."""

from __future__ import annotations

import asyncio
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

__all__ = ["NODE_DIR", "run_node", "run_node_script"]

NODE_DIR = Path(__file__).resolve().parents[1] / "e2e" / "node"


async def run_node(*command: str, within: float) -> str:
    process = await asyncio.create_subprocess_exec(
        *command, cwd=NODE_DIR, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), within)
    except TimeoutError:
        process.kill()
        await process.wait()
        raise
    assert process.returncode == 0, err.decode()
    return out.decode()


async def run_node_script(script: str, config: dict[str, Any], *, within: float) -> Any:
    """Run ``node script '<config JSON>'`` in ``tests/e2e/node``; its last output line, parsed."""
    if shutil.which("node") is None or shutil.which("npm") is None:
        pytest.skip("Node.js and npm are needed for this test")
    if not (NODE_DIR / "node_modules" / "socket.io-client").exists():
        await run_node("npm", "install", "--no-audit", "--no-fund", within=300)
    out = await run_node("node", script, json.dumps(config), within=within)
    return json.loads(out.strip().splitlines()[-1])
