"""A small agent run by the record/replay tests as a real child process.

One model call with the prompt (``--prompt``), a decorated tool, a second
model call quoting the tool's answer. The model is the real ``openai`` client
pointed at the fake server whose URL is in ``AGENT_BASE_URL``. With
``--configure`` the script calls ``agentreel.configure()`` and opens its own
session, as many agent scripts do.
"""

from __future__ import annotations

import argparse
import os

import openai

import agentreel


@agentreel.tool
def forecast(city: str) -> dict[str, object]:
    # The live answer; a replay serves the recorded one without running this.
    return {"city": city, "celsius": 21}


def run(prompt: str) -> None:
    client = openai.OpenAI(base_url=os.environ["AGENT_BASE_URL"], api_key="sk-test", max_retries=0)
    first = client.chat.completions.create(
        model="gpt-test", messages=[{"role": "user", "content": prompt}]
    )
    print("model:", first.choices[0].message.content)
    weather = forecast(city="Paris")
    second = client.chat.completions.create(
        model="gpt-test",
        messages=[{"role": "user", "content": f"it is {weather['celsius']} degrees"}],
    )
    print("model:", second.choices[0].message.content)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--prompt", default="weather in Paris?")
    parser.add_argument("--configure", action="store_true")
    args = parser.parse_args()
    if args.configure:
        agentreel.configure()
        with agentreel.session("own-session", tags=["mine"]):
            run(args.prompt)
    else:
        run(args.prompt)


if __name__ == "__main__":
    main()
